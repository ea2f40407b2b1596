"""The SLA clock and sweep with time travel: tickets are opened and changed at chosen
moments (the services take `now`) and the sweep is run at chosen moments. CI runs this on
PostgreSQL, where the sweep takes rows FOR UPDATE SKIP LOCKED through partial indexes."""

from datetime import UTC, datetime, timedelta

import pytest

from tickets.actors import Actor
from tickets.models import EventKind, TicketEvent, TicketStatus
from tickets.services import CustomerData, TicketDraft, ticket_change_status, ticket_create
from tickets.sla_sweep import sweep

T = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Makassar
HOUR = timedelta(hours=1)
TICK = timedelta(microseconds=1)


def open_ticket(partner, *, at=T, priority="HIGH", reference="WA-SLA-1"):
    draft = TicketDraft(
        channel="WHATSAPP",
        service_type="INQUIRY",
        title="Where is my card?",
        description="The customer asks about a card sent last week",
        customer=CustomerData(name="Siti Rahma"),
        channel_reference_id=reference,
        requested_priority=priority,
    )
    return ticket_create(partner=partner, api_key=None, draft=draft, now=at)


def breach_events(ticket, kind=EventKind.SLA_RESPONSE_BREACHED) -> int:
    return TicketEvent.objects.filter(ticket=ticket, kind=kind).count()


def test_a_high_ticket_breaches_its_response_deadline_at_exactly_one_hour(reference_data, partner):
    ticket = open_ticket(partner)
    assert ticket.response_deadline == T + HOUR

    assert sweep(now=T + HOUR - TICK).response_breached == []
    assert sweep(now=T + HOUR).response_breached == [ticket.pk]

    ticket.refresh_from_db()
    assert ticket.response_breached_at == T + HOUR
    assert ticket.resolution_breached_at is None
    assert breach_events(ticket) == 1


def test_three_hours_in_pending_move_the_breach_three_hours_later(reference_data, partner):
    ticket = open_ticket(partner)
    agent = Actor.system()
    ticket_change_status(ticket=ticket, to_status=TicketStatus.PENDING, actor=agent, now=T + timedelta(minutes=10))

    # While paused, nothing breaches, however late it gets.
    assert sweep(now=T + 2 * HOUR).response_breached == []

    ticket_change_status(
        ticket=ticket, to_status=TicketStatus.IN_PROGRESS, actor=agent, now=T + timedelta(hours=3, minutes=10)
    )
    ticket.refresh_from_db()
    assert ticket.response_deadline == T + 4 * HOUR
    assert ticket.resolution_deadline == T + 7 * HOUR  # 4 h target + 3 h paused
    assert ticket.resolution_at_risk_at == T + 6 * HOUR  # 75% of 4 h, + 3 h paused

    assert sweep(now=T + 4 * HOUR - TICK).response_breached == []
    assert sweep(now=T + 4 * HOUR).response_breached == [ticket.pk]


def test_the_sweep_marks_each_breached_ticket_once_however_often_it_runs(reference_data, partner):
    tickets = [open_ticket(partner, reference=f"WA-SLA-{n}") for n in range(3)]
    later = T + 5 * HOUR  # past every response (1 h), at-risk (3 h) and resolution (4 h) line

    first = sweep(now=later)
    again = [sweep(now=later + timedelta(minutes=minute)) for minute in range(1, 4)]

    ids = sorted(ticket.pk for ticket in tickets)
    assert (sorted(first.response_breached), sorted(first.resolution_breached), sorted(first.at_risk)) == (
        ids,
        ids,
        ids,
    )
    assert all((run.response_breached, run.resolution_breached, run.at_risk) == ([], [], []) for run in again)
    for ticket in tickets:
        assert breach_events(ticket) == 1
        assert breach_events(ticket, EventKind.SLA_RESOLUTION_BREACHED) == 1
        assert breach_events(ticket, EventKind.SLA_AT_RISK) == 1


def test_the_at_risk_line_is_crossed_at_75_percent_of_the_resolution_time(reference_data, partner):
    ticket = open_ticket(partner)  # HIGH: 4 h to resolve, at risk after 3 h

    assert sweep(now=T + 3 * HOUR - TICK).at_risk == []
    assert sweep(now=T + 3 * HOUR).at_risk == [ticket.pk]

    ticket.refresh_from_db()
    assert ticket.at_risk_notified_at == T + 3 * HOUR


def test_tickets_whose_clock_stands_still_or_that_were_answered_are_not_marked(reference_data, partner):
    from tests.factories import UserFactory
    from tickets.services import comment_add

    answered = open_ticket(partner, reference="WA-ANSWERED")
    comment_add(
        ticket=answered, body="We are on it", actor=Actor.for_agent(UserFactory()), now=T + timedelta(minutes=30)
    )
    resolved = open_ticket(partner, reference="WA-RESOLVED")
    ticket_change_status(
        ticket=resolved, to_status=TicketStatus.RESOLVED, actor=Actor.system(), now=T + timedelta(minutes=20)
    )

    result = sweep(now=T + 10 * HOUR)

    assert answered.pk not in result.response_breached
    assert answered.pk in result.resolution_breached  # answered, but never resolved
    assert resolved.pk not in result.response_breached + result.resolution_breached + result.at_risk


def test_a_dry_run_marks_nothing(reference_data, partner):
    ticket = open_ticket(partner)

    result = sweep(now=T + 5 * HOUR, dry_run=True)

    assert result.response_breached == [ticket.pk]
    ticket.refresh_from_db()
    assert ticket.response_breached_at is None
    assert breach_events(ticket) == 0


@pytest.mark.parametrize(
    ("priority", "response", "resolution"),
    [("CRITICAL", 15, 120), ("HIGH", 60, 240), ("MEDIUM", 240, 1440), ("LOW", 480, 4320)],
)
def test_deadlines_follow_the_policy_of_the_priority(reference_data, partner, priority, response, resolution):
    ticket = open_ticket(partner, priority=priority)

    assert (ticket.response_deadline, ticket.resolution_deadline) == (
        T + timedelta(minutes=response),
        T + timedelta(minutes=resolution),
    )
