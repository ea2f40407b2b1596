"""The SLA engine seen from its users: deadlines at creation on a business calendar, the
clock stopping and restarting through the services, late marks, the partner's status
answer, the at-risk e-mails, the sweep task and command, the admin's SLA filter and
column, and the SQL condition behind that filter. Time travels through the services'
`now`; what runs on the real clock (the API, the admin, the task, the command) is set up
relative to the moment the test starts. The sweep's own timing and idempotency are in
test_sla_sweep.py."""

import io
import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from omnichannel.serializers import SlaSerializer
from tests.factories import UserFactory
from tickets import sla, tasks
from tickets.actors import Actor
from tickets.errors import TicketFinal
from tickets.models import (
    ActorType,
    BusinessCalendar,
    EventKind,
    Holiday,
    Service,
    SlaPause,
    SlaPolicy,
    SupportGroup,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from tickets.selectors import sla_state_condition
from tickets.services import (
    CustomerData,
    TicketDraft,
    comment_add,
    ticket_change_priority,
    ticket_change_status,
    ticket_create,
)
from tickets.sla_notifications import notify_at_risk
from tickets.sla_sweep import sweep

WITA = ZoneInfo("Asia/Makassar")
T = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Makassar
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
STATUS_URL = "/api/omnichannel/tickets/{}"


def open_ticket(partner, *, at=T, priority="MEDIUM", service_type="INQUIRY", reference="WA-SLA-1") -> Ticket:
    draft = TicketDraft(
        channel="WHATSAPP",
        service_type=service_type,
        title="Where is my card?",
        description="The customer asks about a card sent last week",
        customer=CustomerData(name="Siti Rahma"),
        channel_reference_id=reference,
        requested_priority=priority,
    )
    return ticket_create(partner=partner, api_key=None, draft=draft, now=at)


def move(ticket: Ticket, to_status: str, at: datetime, actor: Actor | None = None) -> Ticket:
    ticket_change_status(ticket=ticket, to_status=to_status, actor=actor or Actor.system(), now=at)
    ticket.refresh_from_db()
    return ticket


def reply(ticket: Ticket, at: datetime, body: str = "We are on it") -> Ticket:
    comment_add(ticket=ticket, body=body, actor=Actor.for_agent(UserFactory()), now=at)
    ticket.refresh_from_db()
    return ticket


def deadlines(ticket: Ticket) -> tuple[datetime, datetime, datetime]:
    return ticket.response_deadline, ticket.resolution_deadline, ticket.resolution_at_risk_at


def event_kinds(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


def pauses(ticket: Ticket) -> list[tuple]:
    return list(SlaPause.objects.filter(ticket=ticket).values_list("started_at", "ended_at", "reason"))


def filtered(state: sla.SlaState, now: datetime) -> set[int]:
    return set(Ticket.objects.filter(sla_state_condition(state, now=now)).values_list("pk", flat=True))


# --- 1. Business hours at creation ---------------------------------------------------


@pytest.fixture
def inquiry_on_business_hours(reference_data) -> BusinessCalendar:
    """INQUIRY worked Monday to Friday 08:00-16:00 in Makassar; Tuesday 8 December 2026 off."""
    calendar = BusinessCalendar.objects.create(
        name="Kantor Pusat",
        time_zone="Asia/Makassar",
        working_days=[0, 1, 2, 3, 4],
        start_time=time(8),
        end_time=time(16),
    )
    Holiday.objects.create(calendar=calendar, date=date(2026, 12, 8), name="Cuti bersama")
    Service.objects.filter(service_type="INQUIRY").update(calendar=calendar)
    return calendar


MONDAY_3PM = datetime(2026, 12, 7, 15, 0, tzinfo=WITA)  # one working hour left on Monday


@pytest.mark.parametrize(
    ("priority", "targets", "response", "resolution", "at_risk"),
    [
        # Monday 15:00-16:00 counts, Tuesday is a holiday, Wednesday opens at 08:00.
        ("CRITICAL", (15, 120), (7, 15, 15), (9, 9, 0), (9, 8, 30)),
        ("HIGH", (60, 240), (7, 16, 0), (9, 11, 0), (9, 10, 0)),
        ("MEDIUM", (240, 1440), (9, 11, 0), (11, 15, 0), (11, 9, 0)),
        ("LOW", (480, 4320), (9, 15, 0), (21, 15, 0), (17, 13, 0)),
    ],
)
def test_a_ticket_opened_late_on_monday_gets_deadlines_in_working_hours_around_the_holiday(
    inquiry_on_business_hours, partner, priority, targets, response, resolution, at_risk
):
    # given: the policies reference_data loaded for INQUIRY
    policy = SlaPolicy.objects.get(service__service_type="INQUIRY", priority=priority)
    assert (policy.response_minutes, policy.resolution_minutes) == targets

    # when
    ticket = open_ticket(partner, at=MONDAY_3PM, priority=priority)

    # then: (day of December 2026, hour, minute) in Makassar
    def local(day, hour, minute):
        return datetime(2026, 12, day, hour, minute, tzinfo=WITA)

    ticket.refresh_from_db()
    assert (ticket.response_target_minutes, ticket.resolution_target_minutes) == targets
    assert deadlines(ticket) == (local(*response), local(*resolution), local(*at_risk))


def test_the_at_risk_point_on_a_business_calendar_is_truncated_to_whole_minutes(inquiry_on_business_hours, partner):
    # given: 1441 minutes to resolve, so 75% is 1080.75 minutes
    SlaPolicy.objects.filter(priority="MEDIUM", service__service_type__in=["INQUIRY", "CARD_ISSUE"]).update(
        resolution_minutes=1441
    )

    # when
    on_calendar = open_ticket(partner, at=MONDAY_3PM, priority="MEDIUM")
    around_the_clock = open_ticket(partner, at=MONDAY_3PM, priority="MEDIUM", service_type="CARD_ISSUE")

    # then: 1080 working minutes (not 1081) land on Friday 09:00; 24x7 keeps the 45 seconds
    assert on_calendar.resolution_deadline == datetime(2026, 12, 11, 15, 1, tzinfo=WITA)
    assert on_calendar.resolution_at_risk_at == datetime(2026, 12, 11, 9, 0, tzinfo=WITA)
    assert around_the_clock.resolution_at_risk_at == MONDAY_3PM + timedelta(minutes=1080, seconds=45)


# --- 2. Pause and resume through the services -----------------------------------------


def test_pending_stops_the_clock_and_in_progress_restarts_it_three_hours_later(reference_data, partner):
    # given: MEDIUM, 4 h to respond and 24 h to resolve
    ticket = open_ticket(partner)
    assert deadlines(ticket) == (T + 4 * HOUR, T + 24 * HOUR, T + 18 * HOUR)

    # when: waiting on the customer
    move(ticket, TicketStatus.PENDING, T + 10 * MINUTE)

    # then
    assert ticket.sla_paused_at == T + 10 * MINUTE
    assert deadlines(ticket) == (T + 4 * HOUR, T + 24 * HOUR, T + 18 * HOUR)
    assert pauses(ticket) == [(T + 10 * MINUTE, None, "PENDING")]
    paused = TicketEvent.objects.get(ticket=ticket, kind=EventKind.SLA_PAUSED)
    assert (paused.actor_type, paused.data, paused.created_at) == (
        ActorType.SYSTEM,
        {"reason": "PENDING"},
        T + 10 * MINUTE,
    )

    # when: the customer answered, three hours later
    move(ticket, TicketStatus.IN_PROGRESS, T + 3 * HOUR + 10 * MINUTE)

    # then
    assert ticket.sla_paused_at is None
    assert deadlines(ticket) == (T + 7 * HOUR, T + 27 * HOUR, T + 21 * HOUR)
    assert pauses(ticket) == [(T + 10 * MINUTE, T + 3 * HOUR + 10 * MINUTE, "PENDING")]
    resumed = TicketEvent.objects.get(ticket=ticket, kind=EventKind.SLA_RESUMED)
    assert (resumed.actor_type, resumed.data, resumed.created_at) == (
        ActorType.SYSTEM,
        {"responseDeadline": (T + 7 * HOUR).isoformat(), "resolutionDeadline": (T + 27 * HOUR).isoformat()},
        T + 3 * HOUR + 10 * MINUTE,
    )
    assert event_kinds(ticket) == [
        EventKind.CREATED,
        EventKind.STATUS_CHANGED,
        EventKind.SLA_PAUSED,
        EventKind.STATUS_CHANGED,
        EventKind.SLA_RESUMED,
    ]


def test_a_reopened_ticket_gets_its_deadlines_moved_out_by_the_time_it_stood_resolved(reference_data, partner):
    ticket = open_ticket(partner)
    reply(ticket, T + 5 * MINUTE)

    move(ticket, TicketStatus.RESOLVED, T + 20 * MINUTE)
    assert (ticket.resolved_at, ticket.sla_paused_at) == (T + 20 * MINUTE, T + 20 * MINUTE)

    move(ticket, TicketStatus.IN_PROGRESS, T + 2 * HOUR + 20 * MINUTE)

    assert (ticket.resolved_at, ticket.sla_paused_at) == (None, None)
    assert deadlines(ticket) == (T + 6 * HOUR, T + 26 * HOUR, T + 20 * HOUR)
    assert pauses(ticket) == [(T + 20 * MINUTE, T + 2 * HOUR + 20 * MINUTE, "RESOLVED")]


def test_resolving_a_pending_ticket_keeps_the_one_pause_it_has(reference_data, partner):
    ticket = open_ticket(partner)
    move(ticket, TicketStatus.PENDING, T + 10 * MINUTE)

    move(ticket, TicketStatus.RESOLVED, T + HOUR)

    assert ticket.sla_paused_at == T + 10 * MINUTE
    assert pauses(ticket) == [(T + 10 * MINUTE, None, "PENDING")]
    assert event_kinds(ticket).count(EventKind.SLA_PAUSED) == 1

    # Reopening ends that one pause: the clock stood still from PENDING on.
    move(ticket, TicketStatus.IN_PROGRESS, T + 2 * HOUR + 10 * MINUTE)
    assert deadlines(ticket) == (T + 6 * HOUR, T + 26 * HOUR, T + 20 * HOUR)
    assert pauses(ticket) == [(T + 10 * MINUTE, T + 2 * HOUR + 10 * MINUTE, "PENDING")]


def test_a_priority_change_after_a_pause_gives_the_new_targets_plus_the_paused_hour(reference_data, partner):
    # given: MEDIUM, one hour in PENDING
    agent = Actor.for_agent(UserFactory())
    ticket = open_ticket(partner)
    move(ticket, TicketStatus.PENDING, T + 10 * MINUTE)
    move(ticket, TicketStatus.IN_PROGRESS, T + HOUR + 10 * MINUTE)

    # when
    ticket_change_priority(
        ticket=ticket, priority="HIGH", actor=agent, reason="Customer escalated", now=T + HOUR + 40 * MINUTE
    )

    # then: HIGH is 1 h / 4 h, at risk after 3 h, each plus the hour paused
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.response_target_minutes, ticket.resolution_target_minutes) == ("HIGH", 60, 240)
    assert deadlines(ticket) == (T + 2 * HOUR, T + 5 * HOUR, T + 4 * HOUR)
    assert ticket.response_breached_at is None
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.PRIORITY_CHANGED)
    assert (event.from_value, event.to_value, event.actor_type, event.actor_user) == (
        "MEDIUM",
        "HIGH",
        ActorType.AGENT,
        agent.user,
    )
    assert event.data == {
        "responseDeadline": (T + 2 * HOUR).isoformat(),
        "resolutionDeadline": (T + 5 * HOUR).isoformat(),
        "reason": "Customer escalated",
    }


def test_a_priority_change_during_a_pause_agrees_with_one_made_after_it(reference_data, partner):
    ticket = open_ticket(partner)
    move(ticket, TicketStatus.PENDING, T + 10 * MINUTE)

    ticket_change_priority(ticket=ticket, priority="HIGH", actor=Actor.system(), now=T + 30 * MINUTE)
    move(ticket, TicketStatus.IN_PROGRESS, T + HOUR + 10 * MINUTE)

    assert deadlines(ticket) == (T + 2 * HOUR, T + 5 * HOUR, T + 4 * HOUR)


def test_time_left_while_paused_is_what_is_left_when_the_clock_restarts_after_a_priority_change(
    reference_data, partner
):
    # given: MEDIUM, paused after 10 minutes, raised to HIGH (1 h to respond) while paused
    ticket = open_ticket(partner)
    move(ticket, TicketStatus.PENDING, T + 10 * MINUTE)
    ticket_change_priority(ticket=ticket, priority="HIGH", actor=Actor.system(), now=T + 30 * MINUTE)
    ticket.refresh_from_db()

    # when
    while_paused = SlaSerializer(ticket, context={"now": T + 40 * MINUTE}).data
    move(ticket, TicketStatus.IN_PROGRESS, T + HOUR + 10 * MINUTE)
    on_restart = SlaSerializer(ticket, context={"now": T + HOUR + 10 * MINUTE}).data

    # then: 10 of the 60 minutes ran, so 50 minutes are left, paused or not
    assert on_restart["responseTimeLeftSeconds"] == 50 * 60
    assert while_paused["responseTimeLeftSeconds"] == 50 * 60


def test_raising_the_priority_past_the_response_deadline_marks_the_breach(reference_data, partner):
    ticket = open_ticket(partner, priority="HIGH")

    ticket_change_priority(ticket=ticket, priority="CRITICAL", actor=Actor.system(), now=T + 30 * MINUTE)

    ticket.refresh_from_db()
    assert deadlines(ticket) == (T + 15 * MINUTE, T + 2 * HOUR, T + 90 * MINUTE)
    assert (ticket.response_breached_at, ticket.resolution_breached_at) == (T + 15 * MINUTE, None)
    assert event_kinds(ticket)[-2:] == [EventKind.PRIORITY_CHANGED, EventKind.SLA_RESPONSE_BREACHED]


def test_the_priority_of_a_closed_ticket_cannot_change(reference_data, partner):
    ticket = open_ticket(partner)
    move(ticket, TicketStatus.RESOLVED, T + HOUR)
    move(ticket, TicketStatus.CLOSED, T + 2 * HOUR)

    with pytest.raises(TicketFinal):
        ticket_change_priority(ticket=ticket, priority="HIGH", actor=Actor.system(), now=T + 3 * HOUR)

    ticket.refresh_from_db()
    assert (ticket.priority, deadlines(ticket)) == ("MEDIUM", (T + 4 * HOUR, T + 24 * HOUR, T + 18 * HOUR))
    assert EventKind.PRIORITY_CHANGED not in event_kinds(ticket)


def test_lowering_the_priority_withdraws_the_marks_the_new_deadlines_no_longer_justify(reference_data, partner):
    # given: HIGH, marked by the sweep as response-breached, resolution-breached and at risk
    ticket = open_ticket(partner, priority="HIGH")
    sweep(now=T + 4 * HOUR + 30 * MINUTE)
    ticket.refresh_from_db()
    assert (ticket.response_breached_at, ticket.resolution_breached_at, ticket.at_risk_notified_at) == (
        T + HOUR,
        T + 4 * HOUR,
        T + 3 * HOUR,
    )

    # when: MEDIUM, 4 h / 24 h
    ticket_change_priority(ticket=ticket, priority="MEDIUM", actor=Actor.system(), now=T + 5 * HOUR)

    # then: still no reply after 5 h is a breach of MEDIUM's 4 h; the rest is withdrawn
    ticket.refresh_from_db()
    assert deadlines(ticket) == (T + 4 * HOUR, T + 24 * HOUR, T + 18 * HOUR)
    assert ticket.response_breached_at is not None
    assert (ticket.resolution_breached_at, ticket.at_risk_notified_at) == (None, None)

    # when: LOW, 8 h to respond
    ticket_change_priority(ticket=ticket, priority="LOW", actor=Actor.system(), now=T + 5 * HOUR + MINUTE)

    # then
    ticket.refresh_from_db()
    assert ticket.response_breached_at is None
    assert sla.state_of(ticket, T + 5 * HOUR + MINUTE) is sla.SlaState.ON_TRACK


def test_raising_the_priority_of_a_paused_ticket_past_its_deadline_marks_the_breach(reference_data, partner):
    # given: MEDIUM, paused after 2 h without a reply
    ticket = open_ticket(partner)
    move(ticket, TicketStatus.PENDING, T + 2 * HOUR)

    # when: CRITICAL, 15 minutes to respond, which had run out before the pause
    ticket_change_priority(ticket=ticket, priority="CRITICAL", actor=Actor.system(), now=T + 2 * HOUR + 30 * MINUTE)

    # then: the same breach the services mark when a late ticket stops its clock
    ticket.refresh_from_db()
    assert ticket.response_deadline == T + 15 * MINUTE
    assert sla.state_of(ticket, T + 3 * HOUR) is sla.SlaState.BREACHED
    assert ticket.response_breached_at == T + 15 * MINUTE
    assert ticket.pk in filtered(sla.SlaState.BREACHED, T + 3 * HOUR)


# --- 3. Late marks --------------------------------------------------------------------


def test_a_late_first_reply_marks_the_response_breach_once(reference_data, partner):
    ticket = open_ticket(partner, priority="HIGH")  # 1 h to respond

    reply(ticket, T + 90 * MINUTE)
    reply(ticket, T + 2 * HOUR, body="Any news on your side?")

    assert (ticket.first_response_at, ticket.response_breached_at) == (T + 90 * MINUTE, T + HOUR)
    breach = TicketEvent.objects.get(ticket=ticket, kind=EventKind.SLA_RESPONSE_BREACHED)
    assert (breach.actor_type, breach.data, breach.created_at) == (
        ActorType.SYSTEM,
        {"deadline": (T + HOUR).isoformat()},
        T + 90 * MINUTE,
    )


def test_a_late_first_reply_after_the_sweep_marked_the_breach_adds_no_second_mark(reference_data, partner):
    ticket = open_ticket(partner, priority="HIGH")
    sweep(now=T + HOUR + 5 * MINUTE)

    reply(ticket, T + 90 * MINUTE)

    assert ticket.response_breached_at == T + HOUR
    assert event_kinds(ticket).count(EventKind.SLA_RESPONSE_BREACHED) == 1


def test_an_on_time_first_reply_marks_nothing(reference_data, partner):
    ticket = open_ticket(partner, priority="HIGH")

    reply(ticket, T + 30 * MINUTE)

    assert (ticket.first_response_at, ticket.response_breached_at, ticket.resolution_breached_at) == (
        T + 30 * MINUTE,
        None,
        None,
    )
    assert event_kinds(ticket) == [EventKind.CREATED, EventKind.COMMENT_ADDED]


def test_a_first_reply_while_the_clock_stands_still_is_not_late(reference_data, partner):
    # given: MEDIUM (4 h to respond), waiting on the customer after 10 minutes
    ticket = open_ticket(partner)
    move(ticket, TicketStatus.PENDING, T + 10 * MINUTE)

    # when: the agent's first public reply comes 5 h later, with 10 minutes of SLA time run
    reply(ticket, T + 5 * HOUR)

    # then
    assert ticket.response_breached_at is None
    assert EventKind.SLA_RESPONSE_BREACHED not in event_kinds(ticket)


@pytest.mark.parametrize("to_status", [TicketStatus.PENDING, TicketStatus.RESOLVED])
def test_a_ticket_that_stops_its_clock_after_its_deadlines_is_marked_then(reference_data, partner, to_status):
    ticket = open_ticket(partner, priority="HIGH")  # 1 h to respond, 4 h to resolve

    move(ticket, to_status, T + 5 * HOUR)

    assert (ticket.response_breached_at, ticket.resolution_breached_at) == (T + HOUR, T + 4 * HOUR)
    assert event_kinds(ticket) == [
        EventKind.CREATED,
        EventKind.STATUS_CHANGED,
        EventKind.SLA_RESPONSE_BREACHED,
        EventKind.SLA_RESOLUTION_BREACHED,
        EventKind.SLA_PAUSED,
    ]
    assert set(
        TicketEvent.objects.filter(ticket=ticket, kind__startswith="SLA_").values_list("created_at", flat=True)
    ) == {T + 5 * HOUR}


def test_resolving_a_pending_ticket_after_a_long_wait_is_not_a_breach(reference_data, partner):
    # given: CRITICAL (2 h to resolve), waiting on the customer after 5 minutes
    ticket = open_ticket(partner, priority="CRITICAL")
    reply(ticket, T + 2 * MINUTE)
    move(ticket, TicketStatus.PENDING, T + 5 * MINUTE)

    # when: resolved 3 h later, with 5 minutes of SLA time run
    move(ticket, TicketStatus.RESOLVED, T + 3 * HOUR)

    # then
    answer = SlaSerializer(ticket, context={"now": T + 4 * HOUR}).data
    assert answer["isBreached"] is False
    assert sla.state_of(ticket, T + 4 * HOUR) is sla.SlaState.PAUSED
    assert ticket.resolution_breached_at is None


# --- 4. The status answer ---------------------------------------------------------------


@pytest.fixture
def now() -> datetime:
    """The real clock at the start of the test, in whole seconds: the API and the admin
    read timezone.now(), so tickets are placed around it."""
    return timezone.now().replace(microsecond=0)


def zulu(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_status_of_a_paused_ticket_shows_the_time_left_frozen_at_the_pause(api_client, reference_data, partner, now):
    # given: MEDIUM, opened 2 h ago, waiting on the customer for the last hour
    created = now - 2 * HOUR
    ticket = open_ticket(partner, at=created)
    move(ticket, TicketStatus.PENDING, now - HOUR)

    # when
    response = api_client.get(STATUS_URL.format(ticket.number))

    # then
    assert response.status_code == 200
    assert response.json()["sla"] == {
        "responseDeadline": zulu(created + 4 * HOUR),
        "resolutionDeadline": zulu(created + 24 * HOUR),
        "isBreached": False,
        "isPaused": True,
        "responseTimeLeftSeconds": 3 * 3600,
        "resolutionTimeLeftSeconds": 23 * 3600,
    }


def test_status_of_a_ticket_paused_after_its_response_deadline_is_breached(api_client, reference_data, partner, now):
    # given: HIGH (1 h / 4 h), opened 5 h ago, paused after 2 h without a reply
    created = now - 5 * HOUR
    ticket = open_ticket(partner, at=created, priority="HIGH")
    move(ticket, TicketStatus.PENDING, created + 2 * HOUR)

    response = api_client.get(STATUS_URL.format(ticket.number))

    assert response.json()["sla"] == {
        "responseDeadline": zulu(created + HOUR),
        "resolutionDeadline": zulu(created + 4 * HOUR),
        "isBreached": True,
        "isPaused": True,
        "responseTimeLeftSeconds": -3600,
        "resolutionTimeLeftSeconds": 2 * 3600,
    }


def test_status_of_a_running_overdue_ticket_has_negative_time_left(api_client, reference_data, partner, now):
    created = now - 5 * HOUR
    ticket = open_ticket(partner, at=created, priority="HIGH")

    before = timezone.now()
    body = api_client.get(STATUS_URL.format(ticket.number)).json()["sla"]
    after = timezone.now()

    assert (body["isBreached"], body["isPaused"]) == (True, False)
    for field, deadline_at in [
        ("responseTimeLeftSeconds", created + HOUR),
        ("resolutionTimeLeftSeconds", created + 4 * HOUR),
    ]:
        assert int((deadline_at - after).total_seconds()) <= body[field] <= int((deadline_at - before).total_seconds())
        assert body[field] < 0


def test_status_after_an_agent_replied_has_no_response_time_left(api_client, reference_data, partner, now):
    created = now - 2 * HOUR
    ticket = open_ticket(partner, at=created)
    reply(ticket, created + 30 * MINUTE)
    move(ticket, TicketStatus.PENDING, now - HOUR)

    body = api_client.get(STATUS_URL.format(ticket.number)).json()["sla"]

    assert (body["isBreached"], body["isPaused"]) == (False, True)
    assert body["responseTimeLeftSeconds"] is None
    assert body["resolutionTimeLeftSeconds"] == 23 * 3600


# --- 5. At-risk notifications ------------------------------------------------------------


def admin_link(ticket: Ticket) -> str:
    return f"{settings.SITE_URL}/admin/tickets/ticket/{ticket.pk}/change/"


def test_at_risk_warnings_go_to_each_groups_supervisors_or_else_its_address(
    reference_data, partner, mailoutbox, caplog
):
    # given: Customer Care has three supervisors, of whom only one can be written to
    care = SupportGroup.objects.get(name="Customer Care")
    care.supervisors.set(
        [
            UserFactory(username="former", email="former@banksulutgo.co.id", is_active=False),
            UserFactory(username="nomail", email=""),
            UserFactory(username="lead", email="lead@banksulutgo.co.id"),
        ]
    )
    # Card & ATM Support has no supervisor but an address; IT Service Desk has neither.
    SupportGroup.objects.filter(name="IT Service Desk").update(email="")
    critical = open_ticket(partner, priority="CRITICAL", reference="WA-1")  # due 12:00 in Makassar
    high = open_ticket(partner, priority="HIGH", reference="WA-2")  # due 14:00
    card = open_ticket(partner, priority="HIGH", service_type="CARD_ISSUE", reference="WA-3")
    technical = open_ticket(partner, priority="HIGH", service_type="TECHNICAL_SUPPORT", reference="WA-4")

    # when
    with caplog.at_level(logging.WARNING, logger="tickets.sla_notifications"):
        sent = notify_at_risk([high.pk, card.pk, technical.pk, critical.pk])

    # then
    assert sent == 2
    messages = {tuple(message.to): message for message in mailoutbox}
    assert set(messages) == {("lead@banksulutgo.co.id",), ("cards@banksulutgo.co.id",)}
    to_care = messages[("lead@banksulutgo.co.id",)]
    assert (to_care.subject, to_care.from_email) == (
        "[ServiceDesk] 2 ticket(s) of Customer Care at risk of breaching the SLA",
        settings.DEFAULT_FROM_EMAIL,
    )
    assert to_care.body == (
        "These tickets of Customer Care have used 75% of their resolution time:\n\n"
        f"- {critical.number} Where is my card? (CRITICAL): resolution due 2026-12-07 12:00 WITA\n"
        f"  {admin_link(critical)}\n"
        f"- {high.number} Where is my card? (HIGH): resolution due 2026-12-07 14:00 WITA\n"
        f"  {admin_link(high)}\n"
    )
    to_cards = messages[("cards@banksulutgo.co.id",)]
    assert to_cards.subject == "[ServiceDesk] 1 ticket(s) of Card & ATM Support at risk of breaching the SLA"
    assert to_cards.body == (
        "These tickets of Card & ATM Support have used 75% of their resolution time:\n\n"
        f"- {card.number} Where is my card? (HIGH): resolution due 2026-12-07 14:00 WITA\n"
        f"  {admin_link(card)}\n"
    )
    assert technical.number not in "".join(message.body for message in mailoutbox)
    assert [(record.levelname, record.getMessage()) for record in caplog.records] == [
        ("WARNING", "1 tickets of IT Service Desk at risk; the group has no supervisor e-mail")
    ]


def test_no_ticket_at_risk_sends_nothing(db, mailoutbox):
    assert notify_at_risk([]) == 0
    assert mailoutbox == []


@pytest.fixture
def crossed_tickets(reference_data, partner, now) -> dict[str, Ticket]:
    """Around the real clock: `answered` is past its at-risk point only, `late` past every
    line, `fresh` past none."""
    answered = open_ticket(partner, at=now - 3 * HOUR - 30 * MINUTE, priority="HIGH", reference="WA-A")
    reply(answered, answered.created_at + 10 * MINUTE)
    late = open_ticket(partner, at=now - 5 * HOUR, priority="HIGH", reference="WA-L")
    fresh = open_ticket(partner, at=now - HOUR, reference="WA-F")
    return {"answered": answered, "late": late, "fresh": fresh}


def test_the_sweep_task_marks_the_crossed_tickets_and_mails_their_group(crossed_tickets, mailoutbox):
    answered, late, fresh = crossed_tickets["answered"], crossed_tickets["late"], crossed_tickets["fresh"]

    result = tasks.sweep_sla()

    assert result == {"responseBreached": 1, "resolutionBreached": 1, "atRisk": 2}
    for ticket in (answered, late, fresh):
        ticket.refresh_from_db()
    assert (answered.response_breached_at, answered.resolution_breached_at, answered.at_risk_notified_at) == (
        None,
        None,
        answered.created_at + 3 * HOUR,
    )
    assert (late.response_breached_at, late.resolution_breached_at, late.at_risk_notified_at) == (
        late.created_at + HOUR,
        late.created_at + 4 * HOUR,
        late.created_at + 3 * HOUR,
    )
    assert (fresh.response_breached_at, fresh.resolution_breached_at, fresh.at_risk_notified_at) == (None, None, None)
    (message,) = mailoutbox
    assert message.to == ["customercare@banksulutgo.co.id"]
    assert message.subject == "[ServiceDesk] 2 ticket(s) of Customer Care at risk of breaching the SLA"
    # Ordered by resolution deadline: the late one is due first.
    assert message.body.index(late.number) < message.body.index(answered.number)
    assert admin_link(late) in message.body and admin_link(answered) in message.body

    # A second run finds nothing new and sends nothing more.
    assert tasks.sweep_sla() == {"responseBreached": 0, "resolutionBreached": 0, "atRisk": 0}
    assert len(mailoutbox) == 1


# --- 6. check_sla -------------------------------------------------------------------------


def run_check_sla(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("check_sla", *args, stdout=out)
    return out.getvalue().splitlines()


def test_check_sla_dry_run_lists_what_would_be_marked_and_changes_nothing(crossed_tickets, mailoutbox):
    answered, late = crossed_tickets["answered"], crossed_tickets["late"]

    lines = run_check_sla("--dry-run")

    assert lines == [
        f"1 would be marked response breached: {late.number}",
        f"1 would be marked resolution breached: {late.number}",
        f"2 would be marked at risk: {', '.join(sorted([answered.number, late.number]))}",
    ]
    assert not Ticket.objects.filter(response_breached_at__isnull=False).exists()
    assert not Ticket.objects.filter(resolution_breached_at__isnull=False).exists()
    assert not Ticket.objects.filter(at_risk_notified_at__isnull=False).exists()
    assert not TicketEvent.objects.filter(kind__startswith="SLA_").exists()
    assert mailoutbox == []


def test_check_sla_marks_and_reports_the_counts_and_the_warnings_sent(crossed_tickets, mailoutbox):
    answered, late = crossed_tickets["answered"], crossed_tickets["late"]

    lines = run_check_sla()

    assert lines == [
        f"1 marked response breached: {late.number}",
        f"1 marked resolution breached: {late.number}",
        f"2 marked at risk: {', '.join(sorted([answered.number, late.number]))}",
        "1 at-risk warning(s) sent.",
    ]
    assert set(Ticket.objects.filter(at_risk_notified_at__isnull=False).values_list("pk", flat=True)) == {
        answered.pk,
        late.pk,
    }
    assert len(mailoutbox) == 1

    assert run_check_sla() == [
        "0 marked response breached",
        "0 marked resolution breached",
        "0 marked at risk",
        "0 at-risk warning(s) sent.",
    ]


# --- 7. The admin -------------------------------------------------------------------------

CHANGELIST = "/admin/tickets/ticket/"


@pytest.fixture
def one_ticket_per_state(reference_data, partner, now) -> dict[str, Ticket]:
    """One ticket in each SLA state at the real clock's `now` (the admin reads it)."""
    breached = open_ticket(partner, at=now - 2 * HOUR, priority="HIGH", reference="WA-B")  # 1 h to respond
    at_risk = open_ticket(partner, at=now - 19 * HOUR, reference="WA-R")  # at risk after 18 h, due in 5 h
    reply(at_risk, at_risk.created_at + 10 * MINUTE)
    paused = open_ticket(partner, at=now - 2 * HOUR, reference="WA-P")
    move(paused, TicketStatus.PENDING, now - HOUR)
    on_track = open_ticket(partner, at=now - timedelta(seconds=30), reference="WA-O")
    return {"breached": breached, "at_risk": at_risk, "paused": paused, "on_track": on_track}


@pytest.mark.parametrize("state", ["breached", "at_risk", "paused", "on_track"])
def test_the_admin_sla_filter_lists_exactly_the_tickets_in_that_state(admin_client, one_ticket_per_state, state):
    response = admin_client.get(CHANGELIST, {"sla": state})

    assert response.status_code == 200
    assert [ticket.number for ticket in response.context["cl"].result_list] == [one_ticket_per_state[state].number]


def test_the_admin_sla_column_shows_state_and_time_left(admin_client, one_ticket_per_state):
    content = admin_client.get(CHANGELIST).content.decode()

    # Each ticket was placed at least 30 seconds clear of a minute boundary.
    assert "breached, 1h 59m left" in content
    assert "at risk, 4h 59m left" in content
    assert "paused, 23h 0m left" in content  # frozen at the pause
    assert "on track, 23h 59m left" in content


def test_the_admin_ticket_list_survives_an_unknown_sla_filter_value(admin_client, one_ticket_per_state):
    response = admin_client.get(CHANGELIST, {"sla": "overdue"})

    # Django's answer to an invalid lookup is a redirect to ?e=1; a list is fine too.
    assert response.status_code in (200, 302)


CALENDAR_ADD = "/admin/tickets/businesscalendar/add/"


def calendar_form(**changes) -> dict:
    data = {
        "name": "Kantor Pusat",
        "time_zone": "Asia/Makassar",
        "working_days": ["0", "1", "2", "3", "4"],
        "start_time": "08:00",
        "end_time": "16:00",
        "holidays-TOTAL_FORMS": "1",
        "holidays-INITIAL_FORMS": "0",
        "holidays-MIN_NUM_FORMS": "0",
        "holidays-MAX_NUM_FORMS": "1000",
        "holidays-0-date": "2026-12-25",
        "holidays-0-name": "Natal",
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_the_calendar_form_refuses_an_unknown_time_zone(admin_client):
    response = admin_client.post(CALENDAR_ADD, calendar_form(time_zone="Asia/Manado"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "time_zone": ["'Asia/Manado' is not a time zone name such as Asia/Makassar."]
    }
    assert not BusinessCalendar.objects.exists()


@pytest.mark.parametrize(("start", "end"), [("16:00", "08:00"), ("08:00", "08:00")])
def test_the_calendar_form_refuses_hours_that_do_not_start_before_they_end(admin_client, start, end):
    response = admin_client.post(CALENDAR_ADD, calendar_form(start_time=start, end_time=end))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"__all__": ["Working hours must start before they end."]}
    assert not BusinessCalendar.objects.exists()


def test_the_calendar_form_saves_a_calendar_with_its_holiday(admin_client):
    response = admin_client.post(
        CALENDAR_ADD, calendar_form(time_zone="Asia/Jakarta", working_days=["0", "1", "2", "3", "4", "5"])
    )

    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get()
    assert (calendar.name, calendar.time_zone, calendar.working_days, calendar.start_time, calendar.end_time) == (
        "Kantor Pusat",
        "Asia/Jakarta",
        [0, 1, 2, 3, 4, 5],
        time(8),
        time(16),
    )
    assert list(calendar.holidays.values_list("date", "name")) == [(date(2026, 12, 25), "Natal")]


# --- 8. The SQL condition agrees with sla.state() ---------------------------------------------


@pytest.fixture
def tickets_in_every_state(reference_data, partner) -> dict[str, Ticket]:
    """Tickets opened at T with every history the services allow, all changes made by
    T + 2 h 30 m; the sweep ran once at T + 2 h."""
    agent = Actor.for_agent(UserFactory())

    def opened(name, priority):
        return open_ticket(partner, priority=priority, reference=f"WA-{name}")

    made = {
        "untouched_low": opened("a", "LOW"),
        "answered_medium": opened("b", "MEDIUM"),
        "untouched_high": opened("c", "HIGH"),
        "pending_medium": opened("d", "MEDIUM"),
        "pending_late_high": opened("e", "HIGH"),
        "resolved_medium": opened("f", "MEDIUM"),
        "resolved_late_critical": opened("g", "CRITICAL"),
        "closed_critical": opened("h", "CRITICAL"),
        "cancelled_medium": opened("i", "MEDIUM"),
        "reopened_high": opened("j", "HIGH"),
        "lowered_high": opened("k", "HIGH"),
        "answered_high": opened("m", "HIGH"),
    }
    reply(made["answered_medium"], T + 10 * MINUTE)
    move(made["pending_medium"], TicketStatus.PENDING, T + HOUR)
    move(made["pending_late_high"], TicketStatus.PENDING, T + 2 * HOUR)
    reply(made["resolved_medium"], T + 30 * MINUTE)
    move(made["resolved_medium"], TicketStatus.RESOLVED, T + HOUR)
    reply(made["closed_critical"], T + 5 * MINUTE)
    move(made["closed_critical"], TicketStatus.RESOLVED, T + HOUR)
    move(made["closed_critical"], TicketStatus.CLOSED, T + 2 * HOUR)
    move(made["cancelled_medium"], TicketStatus.CANCELLED, T + 20 * MINUTE)
    reply(made["reopened_high"], T + 10 * MINUTE)
    move(made["reopened_high"], TicketStatus.RESOLVED, T + 20 * MINUTE)
    move(made["reopened_high"], TicketStatus.IN_PROGRESS, T + HOUR + 20 * MINUTE, actor=agent)
    reply(made["answered_high"], T + 5 * MINUTE)
    sweep(now=T + 2 * HOUR)
    ticket_change_priority(ticket=made["lowered_high"], priority="LOW", actor=agent, now=T + 2 * HOUR + 10 * MINUTE)
    move(made["resolved_late_critical"], TicketStatus.RESOLVED, T + 2 * HOUR + 30 * MINUTE)
    for ticket in made.values():
        ticket.refresh_from_db()
    return made


def test_the_sla_state_condition_picks_the_tickets_sla_state_names(tickets_in_every_state):
    names = {ticket.pk: name for name, ticket in tickets_in_every_state.items()}
    at = T + 3 * HOUR + 30 * MINUTE

    assert {state: {names[pk] for pk in filtered(state, at)} for state in sla.SlaState} == {
        sla.SlaState.BREACHED: {"untouched_high", "pending_late_high", "resolved_late_critical"},
        sla.SlaState.AT_RISK: {"answered_high"},
        sla.SlaState.PAUSED: {"pending_medium", "resolved_medium", "closed_critical", "cancelled_medium"},
        sla.SlaState.ON_TRACK: {"untouched_low", "answered_medium", "reopened_high", "lowered_high"},
    }


@pytest.mark.parametrize(
    "after",
    [timedelta(hours=2, minutes=30), timedelta(hours=3, minutes=30), timedelta(hours=20), timedelta(hours=100)],
)
def test_the_sla_state_condition_agrees_with_sla_state(tickets_in_every_state, after):
    at = T + after
    tickets = Ticket.objects.all()

    for state in sla.SlaState:
        assert filtered(state, at) == {ticket.pk for ticket in tickets if sla.state_of(ticket, at) is state}, state
