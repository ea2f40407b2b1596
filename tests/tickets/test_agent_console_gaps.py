"""The agent console (tickets/ticket_admin.py, apikeys/admin.py): what test_agent_console.py
leaves open. Status is never written through the change form; every status action of the
page and of the list sends the webhook the API would, once, on commit; assignment stays
within a ticket's support group; the roles keep agents out of partners and keys; the page
shows the SLA timers and the webhook deliveries; the quick links give the right queues;
an API key's last use is shown."""

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import ApiKeyFactory
from tests.tickets import test_agent_console as console
from tests.tickets.test_agent_console import (
    API_URL,
    CARD_AND_ATM,
    CLAIMS,
    CUSTOMER_CARE,
    LIST_URL,
    WEBHOOK_URL,
    bulk,
    create_through_api,
    deliveries,
    events,
    listed_numbers,
    messages_of,
    page_url,
    staff_user,
    ticket_in,
)
from tickets import roles, services
from tickets.actors import Actor
from tickets.models import EventKind, SupportGroup, Ticket, TicketEvent, TicketStatus
from webhooks.models import Delivery, DeliveryStatus

# The console tests' fixtures, shared rather than copied: agent A of Customer Care, logged
# in, and a partner's ticket with a webhook URL in a group agent A works.
agent = console.agent
agent_client = console.agent_client
api_ticket = console.api_ticket

# --- helpers ------------------------------------------------------------------------


def row_of(ticket: Ticket) -> dict:
    """Every column of the ticket as stored."""
    return Ticket.objects.filter(pk=ticket.pk).values().get()


def last_delivery(ticket: Ticket) -> Delivery:
    return Delivery.objects.filter(ticket=ticket).order_by("-sequence").first()


def utc_second(moment: datetime) -> str:
    """The webhook's time format, written out independently of webhooks.payloads."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def minute(moment: datetime) -> str:
    """How the ticket page writes a moment: local time, to the minute."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def walk(ticket: Ticket, statuses: list[str], user) -> None:
    """Bring the ticket to a status through the services, as an agent would."""
    for status in statuses:
        services.ticket_change_status(ticket=ticket, to_status=status, actor=Actor.for_agent(user))


# --- 1. status is never a free field ------------------------------------------------------


@pytest.mark.parametrize("role", [roles.AGENT, roles.ADMINISTRATOR])
def test_posting_the_change_form_changes_nothing_and_sends_back_to_the_page(
    client, api_ticket, agent, role, django_capture_on_commit_callbacks
):
    # given: a user of the ticket's group who may change tickets
    user = agent if role == roles.AGENT else staff_user("admin.desk", role=roles.ADMINISTRATOR)
    client.force_login(user)
    before = row_of(api_ticket)
    events_before = TicketEvent.objects.count()

    # when: the admin's own change form is posted, with a status in it
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            page_url(api_ticket),
            {
                "status": "RESOLVED",
                "title": "Changed through the form",
                "priority": "CRITICAL",
                "assignee": str(agent.pk),
                "resolved_at_0": "2024-01-01",
                "resolved_at_1": "10:00:00",
                "_save": "Save",
            },
        )

    # then
    assert response.status_code == 302
    assert response["Location"] == page_url(api_ticket)
    assert messages_of(response) == []
    assert row_of(api_ticket) == before
    assert TicketEvent.objects.count() == events_before
    assert deliveries(api_ticket) == [(1, "TICKET_CREATED")]
    assert callbacks == []


def test_the_ticket_page_has_no_form_field_for_the_status(agent_client, api_ticket):
    page = agent_client.get(page_url(api_ticket)).content.decode()

    # The status only ever travels as the hidden value of a transition button.
    assert re.findall(r'<select name="([^"]+)"', page) == ["assignee"]
    assert re.findall(r'<input type="hidden" name="status" value="([^"]+)">', page) == [
        "IN_PROGRESS",
        "PENDING",
        "RESOLVED",
        "CANCELLED",
    ]


# --- 2. status actions send the API's webhook, once, on commit ----------------------------

STATUS_CASES = [
    # (statuses walked first, target, the webhook event)
    ([], "IN_PROGRESS", "STATUS_CHANGED"),
    ([], "PENDING", "STATUS_CHANGED"),
    (["IN_PROGRESS"], "PENDING", "STATUS_CHANGED"),
    (["PENDING"], "IN_PROGRESS", "STATUS_CHANGED"),  # the customer answered
    ([], "RESOLVED", "TICKET_RESOLVED"),
    (["IN_PROGRESS", "PENDING"], "RESOLVED", "TICKET_RESOLVED"),
    (["RESOLVED"], "IN_PROGRESS", "STATUS_CHANGED"),  # an agent reopens
    (["RESOLVED"], "CLOSED", "TICKET_CLOSED"),
    ([], "CANCELLED", "STATUS_CHANGED"),
    (["PENDING"], "CANCELLED", "STATUS_CHANGED"),
]
STATUS_IDS = [
    "OPEN>" + ">".join([*walked, target]) if walked else f"OPEN>{target}" for walked, target, _ in STATUS_CASES
]


@pytest.mark.parametrize(("walked", "target", "event"), STATUS_CASES, ids=STATUS_IDS)
def test_a_status_button_changes_the_status_through_the_services_and_schedules_its_webhook(
    agent_client, agent, api_ticket, walked, target, event, django_capture_on_commit_callbacks
):
    walk(api_ticket, walked, agent)
    current = walked[-1] if walked else "OPEN"
    sequence = len(walked) + 2  # TICKET_CREATED is 1, each walked step one more

    with django_capture_on_commit_callbacks() as callbacks:
        response = agent_client.post(page_url(api_ticket, "status"), {"status": target, "reason": "Checked by phone"})

    assert response.status_code == 302
    assert response["Location"] == page_url(api_ticket)
    assert messages_of(response) == [f"{api_ticket.number}: {current} → {target}."]
    api_ticket.refresh_from_db()
    assert api_ticket.status == target
    change = TicketEvent.objects.filter(ticket=api_ticket, kind=EventKind.STATUS_CHANGED).order_by("-pk").first()
    assert (change.from_value, change.to_value, change.actor_type, change.actor_user, change.data) == (
        current,
        target,
        "AGENT",
        agent,
        {"reason": "Checked by phone"},
    )
    delivery = last_delivery(api_ticket)
    assert (delivery.sequence, delivery.event, delivery.status, delivery.url) == (
        sequence,
        event,
        DeliveryStatus.PENDING,
        WEBHOOK_URL,
    )
    assert json.loads(delivery.body) == {
        "eventId": delivery.event_id,
        "event": event,
        "sequence": sequence,
        "ticketNumber": api_ticket.number,
        "ticketId": api_ticket.public_id,
        "channelReferenceId": "WA-REQ-CONSOLE-1",
        "timestamp": utc_second(api_ticket.updated_at),
        "data": {"oldStatus": current, "newStatus": target, "comment": "Checked by phone"},
    }
    assert len(callbacks) == 1  # the delivery task, sent once the change has committed


BULK_ACTIONS = {
    "IN_PROGRESS": "set_in_progress",
    "PENDING": "set_pending",
    "RESOLVED": "set_resolved",
    "CLOSED": "set_closed",
    "CANCELLED": "set_cancelled",
}


@pytest.mark.parametrize(("walked", "target", "event"), STATUS_CASES, ids=STATUS_IDS)
def test_a_bulk_status_action_changes_the_status_through_the_services_and_schedules_its_webhook(
    agent_client, agent, api_ticket, walked, target, event, django_capture_on_commit_callbacks
):
    walk(api_ticket, walked, agent)
    current = walked[-1] if walked else "OPEN"
    sequence = len(walked) + 2

    with django_capture_on_commit_callbacks() as callbacks:
        response = bulk(agent_client, BULK_ACTIONS[target], [api_ticket])

    assert response.status_code == 302
    assert messages_of(response) == [f"1 ticket(s) set to {target}."]
    api_ticket.refresh_from_db()
    assert api_ticket.status == target
    change = TicketEvent.objects.filter(ticket=api_ticket, kind=EventKind.STATUS_CHANGED).order_by("-pk").first()
    assert (change.from_value, change.to_value, change.actor_user, change.data) == (current, target, agent, {})
    delivery = last_delivery(api_ticket)
    assert (delivery.sequence, delivery.event) == (sequence, event)
    assert json.loads(delivery.body) == {
        "eventId": delivery.event_id,
        "event": event,
        "sequence": sequence,
        "ticketNumber": api_ticket.number,
        "ticketId": api_ticket.public_id,
        "channelReferenceId": "WA-REQ-CONSOLE-1",
        "timestamp": utc_second(api_ticket.updated_at),
        "data": {"oldStatus": current, "newStatus": target, "comment": ""},
    }
    assert len(callbacks) == 1


def test_a_bulk_status_action_schedules_one_webhook_per_ticket(
    agent_client, api_client, agent, django_capture_on_commit_callbacks
):
    first = create_through_api(api_client, service_type="INQUIRY", request_id="REQ-GAPS-1")
    second = create_through_api(api_client, service_type="COMPLAINT", request_id="REQ-GAPS-2")

    with django_capture_on_commit_callbacks() as callbacks:
        response = bulk(agent_client, "set_in_progress", [first, second])

    assert messages_of(response) == ["2 ticket(s) set to IN_PROGRESS."]
    assert deliveries(first) == [(1, "TICKET_CREATED"), (2, "STATUS_CHANGED")]
    assert deliveries(second) == [(1, "TICKET_CREATED"), (2, "STATUS_CHANGED")]
    assert len(callbacks) == 2


def test_the_console_cancel_sends_the_same_webhook_as_a_partners_cancel(agent_client, api_client, agent):
    # given: two tickets of the agent's group, one cancelled by the partner, one by the agent
    by_partner = create_through_api(api_client, service_type="INQUIRY", request_id="REQ-GAPS-1")
    by_agent = create_through_api(api_client, service_type="INQUIRY", request_id="REQ-GAPS-2")

    # when
    api_response = api_client.patch(
        f"{API_URL}/{by_partner.number}",
        {"action": "UPDATE_STATUS", "status": "CANCELLED", "comment": "Customer withdrew"},
        format="json",
    )
    page_response = agent_client.post(
        page_url(by_agent, "status"), {"status": "CANCELLED", "reason": "Customer withdrew"}
    )

    # then: the same event, sequence and data; only what names the ticket and the moment differs
    assert (api_response.status_code, page_response.status_code) == (200, 302)
    from_api = json.loads(last_delivery(by_partner).body)
    from_console = json.loads(last_delivery(by_agent).body)
    assert list(from_console) == list(from_api)  # the same keys in the same order
    per_ticket = ["eventId", "ticketNumber", "ticketId", "channelReferenceId", "timestamp"]
    same = {key: value for key, value in from_console.items() if key not in per_ticket}
    assert same == {key: value for key, value in from_api.items() if key not in per_ticket}
    assert same == {
        "event": "STATUS_CHANGED",
        "sequence": 2,
        "data": {"oldStatus": "OPEN", "newStatus": "CANCELLED", "comment": "Customer withdrew"},
    }


def test_an_agent_cannot_take_a_resolved_ticket_back_to_open(
    agent_client, agent, api_ticket, django_capture_on_commit_callbacks
):
    # RESOLVED → OPEN is the partner's reopen; an agent reopens to IN_PROGRESS.
    walk(api_ticket, ["RESOLVED"], agent)

    with django_capture_on_commit_callbacks() as callbacks:
        response = agent_client.post(page_url(api_ticket, "status"), {"status": "OPEN"})

    assert response.status_code == 302
    assert messages_of(response) == [
        "Cannot change status from RESOLVED to OPEN. Allowed from RESOLVED: IN_PROGRESS, CLOSED."
    ]
    api_ticket.refresh_from_db()
    assert api_ticket.status == TicketStatus.RESOLVED
    assert deliveries(api_ticket) == [(1, "TICKET_CREATED"), (2, "TICKET_RESOLVED")]
    assert callbacks == []


# --- 3. bulk assignment refused --------------------------------------------------------------


@pytest.fixture
def tickets_of_two_groups(reference_data):
    """A Customer Care ticket (the more urgent, so it is handled first) and a Card & ATM one."""
    now = timezone.now()
    care = ticket_in(CUSTOMER_CARE, number="INC-2024-0001", resolution_deadline=now + timedelta(hours=1))
    card = ticket_in(CARD_AND_ATM, number="INC-2024-0002", resolution_deadline=now + timedelta(hours=2))
    return care, card


def test_bulk_assign_to_me_outside_one_tickets_group_assigns_none_and_says_why(client, tickets_of_two_groups):
    # given: an agent of Customer Care who only supervises Card & ATM, so sees both tickets
    care, card = tickets_of_two_groups
    client.force_login(
        staff_user("ayu.lead", role=roles.SUPERVISOR, agent_of=[CUSTOMER_CARE], supervisor_of=[CARD_AND_ATM])
    )

    response = bulk(client, "assign_to_me", [care, card])

    assert response.status_code == 302
    assert messages_of(response) == [
        "Nothing was assigned: ayu.lead is not an active agent of Card & ATM Support, "
        "so the ticket cannot be assigned to them."
    ]
    # The Customer Care ticket, assigned first, was rolled back with the refusal.
    assert Ticket.objects.filter(assignee__isnull=False).count() == 0
    assert TicketEvent.objects.filter(kind=EventKind.ASSIGNED).count() == 0


def test_bulk_assign_to_an_agent_outside_one_tickets_group_is_refused(client, tickets_of_two_groups):
    # given: a lead working both groups, and an agent of Card & ATM only
    care, card = tickets_of_two_groups
    lead = staff_user("lead", role=roles.AGENT, agent_of=[CUSTOMER_CARE, CARD_AND_ATM])
    card_agent = staff_user("card.agent", role=roles.AGENT, agent_of=[CARD_AND_ATM])
    client.force_login(lead)

    # when: the card agent is posted although the form does not offer them
    response = bulk(client, "assign_to_agent", [care, card], apply="Assign", assignee=str(card_agent.pk))

    # then: the form comes back with the reason, offering only the lead
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "assignee": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert list(response.context["form"].fields["assignee"].queryset) == [lead]
    assert Ticket.objects.filter(assignee__isnull=False).count() == 0
    assert TicketEvent.objects.filter(kind=EventKind.ASSIGNED).count() == 0


def test_bulk_assign_without_a_common_agent_says_so_and_assigns_nothing(client, tickets_of_two_groups):
    care, card = tickets_of_two_groups
    staff_user("care.agent", role=roles.AGENT, agent_of=[CUSTOMER_CARE])
    card_agent = staff_user("card.agent", role=roles.AGENT, agent_of=[CARD_AND_ATM])
    client.force_login(staff_user("super.both", role=roles.SUPERVISOR, supervisor_of=[CUSTOMER_CARE, CARD_AND_ATM]))

    asked = bulk(client, "assign_to_agent", [care, card])
    forced = bulk(client, "assign_to_agent", [care, card], apply="Assign", assignee=str(card_agent.pk))

    for response in (asked, forced):
        assert response.status_code == 200
        assert (
            '<p class="errornote">No active agent works every selected ticket\'s support group. '
            "Select tickets of one group.</p>"
        ) in response.content.decode().replace("&#x27;", "'")
        assert 'name="apply"' not in response.content.decode()
    assert Ticket.objects.filter(assignee__isnull=False).count() == 0
    assert TicketEvent.objects.filter(kind=EventKind.ASSIGNED).count() == 0


# --- 4. assigning from the page -------------------------------------------------------------


def test_the_page_assigns_to_a_named_colleague_of_the_group(agent_client, agent):
    colleague = staff_user("budi", role=roles.AGENT, agent_of=[CUSTOMER_CARE], first_name="Budi", last_name="Santoso")
    card_agent = staff_user("card.agent", role=roles.AGENT, agent_of=[CARD_AND_ATM], first_name="Citra")
    ticket = ticket_in(CUSTOMER_CARE)

    offered = agent_client.get(page_url(ticket)).content.decode()
    response = agent_client.post(page_url(ticket, "assign"), {"assignee": str(colleague.pk)})

    assert f'<option value="{colleague.pk}">Budi Santoso</option>' in offered
    assert f'<option value="{card_agent.pk}">' not in offered
    assert response.status_code == 302
    assert response["Location"] == page_url(ticket)
    assert messages_of(response) == [f"{ticket.number} assigned to Budi Santoso."]
    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    assigned = TicketEvent.objects.get(ticket=ticket)
    assert (assigned.kind, assigned.from_value, assigned.to_value, assigned.actor_user, assigned.actor_label) == (
        EventKind.ASSIGNED,
        "",
        "budi",
        agent,
        "Ayu Agent",
    )
    assert deliveries(ticket) == []  # an assignment is the bank's business; no webhook


@pytest.mark.parametrize("whom", ["agent of another group", "inactive colleague"])
def test_the_page_refuses_to_assign_outside_the_active_agents_of_the_group(agent_client, agent, whom):
    if whom == "agent of another group":
        target = staff_user("card.agent", role=roles.AGENT, agent_of=[CARD_AND_ATM])
    else:
        target = staff_user("gone", role=roles.AGENT, agent_of=[CUSTOMER_CARE], is_active=False)
    ticket = ticket_in(CUSTOMER_CARE, assignee=agent)
    before = row_of(ticket)

    response = agent_client.post(page_url(ticket, "assign"), {"assignee": str(target.pk)})

    assert response.status_code == 302
    assert messages_of(response) == ["That agent does not work this ticket's support group."]
    assert row_of(ticket) == before
    assert events(ticket) == []


# --- 5. roles ------------------------------------------------------------------------------


@pytest.fixture
def keys_and_partner(partner):
    return ApiKeyFactory(partner=partner, name="Gateway prod"), partner


def key_pages(api_key, partner) -> list[str]:
    return [
        "/admin/apikeys/apikey/",
        "/admin/apikeys/apikey/add/",
        f"/admin/apikeys/apikey/{api_key.pk}/change/",
        "/admin/apikeys/partner/",
        "/admin/apikeys/partner/add/",
        f"/admin/apikeys/partner/{partner.pk}/change/",
    ]


@pytest.mark.parametrize("role", [roles.AGENT, roles.SUPERVISOR])
def test_agents_and_supervisors_cannot_open_partners_or_keys(client, reference_data, keys_and_partner, role):
    api_key, partner = keys_and_partner
    client.force_login(staff_user("desk.user", role=role, agent_of=[CUSTOMER_CARE], supervisor_of=[CARD_AND_ATM]))

    answers = {url: client.get(url).status_code for url in key_pages(api_key, partner)}
    revoke = client.post("/admin/apikeys/apikey/", {"action": "revoke", "_selected_action": [api_key.pk]})
    app_index = client.get("/admin/apikeys/")

    assert answers == dict.fromkeys(key_pages(api_key, partner), 403)
    assert revoke.status_code == 403
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    assert app_index.status_code == 404  # the admin does not even list the app


def test_an_administrator_opens_partners_and_keys(client, reference_data, keys_and_partner):
    api_key, partner = keys_and_partner
    client.force_login(staff_user("admin.desk", role=roles.ADMINISTRATOR))

    answers = {url: client.get(url).status_code for url in [*key_pages(api_key, partner), "/admin/apikeys/"]}

    assert answers == dict.fromkeys([*key_pages(api_key, partner), "/admin/apikeys/"], 200)


def test_a_supervisor_of_two_groups_sees_both_and_no_third(client, reference_data):
    care = ticket_in(CUSTOMER_CARE, number="INC-2024-0001")
    card = ticket_in(CARD_AND_ATM, number="INC-2024-0002")
    claim = ticket_in(CLAIMS, number="INC-2024-0003")
    client.force_login(staff_user("super.two", role=roles.SUPERVISOR, supervisor_of=[CARD_AND_ATM, CLAIMS]))

    assert sorted(listed_numbers(client.get(f"{LIST_URL}?status=all"))) == [card.number, claim.number]
    assert {ticket.number: client.get(page_url(ticket)).status_code for ticket in (care, card, claim)} == {
        care.number: 404,
        card.number: 200,
        claim.number: 200,
    }


# --- 6. the SLA timers ---------------------------------------------------------------------


def sla_rows(page: str) -> dict[str, str]:
    card = page.split("<h2>SLA</h2>", 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r"<tr><th>([^<]+)</th><td>([^<]+)</td></tr>", card))


def page_badges(page: str) -> list[str]:
    """The badges under the page's title: status, priority, SLA."""
    return re.findall(r'<span class="sd-badge" style="background:(#[0-9a-f]{6})">([^<]+)</span>', page)[:3]


def test_the_page_shows_the_time_left_on_both_sla_timers(agent_client):
    # Half a minute over each whole minute: the page rounds down, whatever the request takes.
    now = timezone.now()
    response_due = now + timedelta(hours=3, minutes=30, seconds=30)
    resolution_due = now + timedelta(days=1, hours=2, minutes=30)
    ticket = ticket_in(
        CUSTOMER_CARE,
        response_deadline=response_due,
        resolution_deadline=resolution_due,
        resolution_at_risk_at=now + timedelta(hours=20),
    )

    page = agent_client.get(page_url(ticket)).content.decode()

    assert sla_rows(page) == {
        "First response": f"{minute(response_due)} · 3h 30m left",
        "Resolution": f"{minute(resolution_due)} · 1d 2h left",
    }
    assert page_badges(page)[2] == ("#1a7f37", "on track, 1d 2h left")


def test_the_page_shows_an_overdue_response_as_a_breach(agent_client):
    now = timezone.now()
    response_due = now - timedelta(hours=1, minutes=5, seconds=15)
    resolution_due = now + timedelta(hours=2, minutes=40, seconds=30)
    ticket = ticket_in(
        CUSTOMER_CARE,
        response_deadline=response_due,
        resolution_deadline=resolution_due,
        resolution_at_risk_at=now - timedelta(minutes=20),
    )

    page = agent_client.get(page_url(ticket)).content.decode()

    assert sla_rows(page) == {
        "First response": f"{minute(response_due)} · 1h 5m overdue",
        "Resolution": f"{minute(resolution_due)} · 2h 40m left",
    }
    assert page_badges(page)[2] == ("#cf222e", "breached, 2h 40m left")


def test_the_page_shows_the_time_left_when_the_clock_stopped_and_since_when(agent_client):
    # A paused clock shows the time left when it stopped: exact, however long ago that was.
    paused_at = timezone.now() - timedelta(hours=1)
    response_due = paused_at + timedelta(minutes=45)
    resolution_due = paused_at + timedelta(hours=5, minutes=20)
    ticket = ticket_in(
        CUSTOMER_CARE,
        status=TicketStatus.PENDING,
        sla_paused_at=paused_at,
        response_deadline=response_due,
        resolution_deadline=resolution_due,
        resolution_at_risk_at=paused_at + timedelta(hours=4),
    )

    page = agent_client.get(page_url(ticket)).content.decode()

    assert sla_rows(page) == {
        "First response": f"{minute(response_due)} · 45m left",
        "Resolution": f"{minute(resolution_due)} · 5h 20m left",
        "Clock": f"paused since {minute(paused_at)}",
    }
    assert page_badges(page)[2] == ("#57606a", "paused, 5h 20m left")


def test_the_page_shows_when_each_target_was_met(agent_client):
    now = timezone.now()
    replied_at = now - timedelta(hours=2)
    resolved_at = now - timedelta(hours=1)
    ticket = ticket_in(
        CUSTOMER_CARE,
        status=TicketStatus.RESOLVED,
        first_response_at=replied_at,
        resolved_at=resolved_at,
        sla_paused_at=resolved_at,
        response_deadline=now + timedelta(hours=1),
        resolution_deadline=now + timedelta(hours=5),
        resolution_at_risk_at=now + timedelta(hours=4),
    )

    page = agent_client.get(page_url(ticket)).content.decode()

    assert sla_rows(page) == {
        "First response": f"{minute(now + timedelta(hours=1))} · met {minute(replied_at)}",
        "Resolution": f"{minute(now + timedelta(hours=5))} · met {minute(resolved_at)}",
        "Clock": f"paused since {minute(resolved_at)}",
    }
    assert page_badges(page)[2] == ("#57606a", "paused, resolved")


# --- 7. webhook deliveries in the timeline ----------------------------------------------------


def timeline(page: str) -> list[tuple[str, str, str]]:
    """(kind, meta line, text) of each timeline entry, in the page's order."""
    return re.findall(
        r'<li class="([a-z]+)">\s*<div class="sd-meta">(.*?)</div>\s*<div class="sd-body">(.*?)</div>',
        page,
        re.DOTALL,
    )


def test_the_timeline_shows_each_webhook_delivery_with_its_state(agent_client, agent, api_ticket):
    created = Delivery.objects.get(ticket=api_ticket)
    first = timeline(agent_client.get(page_url(api_ticket)).content.decode())

    # The first delivery got through; resolving raises a second one, still pending.
    Delivery.objects.filter(pk=created.pk).update(
        status=DeliveryStatus.DELIVERED, attempt_count=2, last_status_code=200
    )
    agent_client.post(page_url(api_ticket, "status"), {"status": "RESOLVED"})
    resolved = last_delivery(api_ticket)
    later = timeline(agent_client.get(page_url(api_ticket)).content.decode())

    def link(delivery: Delivery) -> str:
        url = f"/admin/webhooks/delivery/{delivery.pk}/change/"
        return f'{minute(delivery.created_at)} · Webhook · <a href="{url}">details</a>'

    assert [entry for entry in first if entry[0] == "webhook"] == [
        ("webhook", link(created), "TICKET_CREATED #1: pending, 0 attempt(s)")
    ]
    assert [entry for entry in later if entry[0] == "webhook"] == [
        ("webhook", link(created), "TICKET_CREATED #1: delivered, 2 attempt(s), last answer 200"),
        ("webhook", link(resolved), "TICKET_RESOLVED #2: pending, 0 attempt(s)"),
    ]
    # Each delivery follows the change that raised it.
    assert [(kind, text) for kind, _, text in later] == [
        ("event", "Ticket created (HIGH, WHATSAPP)"),
        ("webhook", "TICKET_CREATED #1: delivered, 2 attempt(s), last answer 200"),
        ("event", "Status OPEN → RESOLVED"),
        ("event", "SLA clock paused (RESOLVED)"),
        ("webhook", "TICKET_RESOLVED #2: pending, 0 attempt(s)"),
    ]


# --- 8. the quick links ----------------------------------------------------------------------


def test_the_quick_links_give_my_open_tickets_and_the_unassigned_of_my_groups(agent_client, agent):
    colleague = staff_user("budi", role=roles.AGENT, agent_of=[CUSTOMER_CARE])
    mine = ticket_in(CUSTOMER_CARE, number="INC-2024-0001", assignee=agent)
    mine_waiting = ticket_in(CUSTOMER_CARE, number="INC-2024-0002", assignee=agent, status=TicketStatus.PENDING)
    ticket_in(CUSTOMER_CARE, number="INC-2024-0003", assignee=agent, status=TicketStatus.RESOLVED)
    ticket_in(CUSTOMER_CARE, number="INC-2024-0004", assignee=colleague)
    unassigned = ticket_in(CUSTOMER_CARE, number="INC-2024-0005")
    unassigned_started = ticket_in(CUSTOMER_CARE, number="INC-2024-0006", status=TicketStatus.IN_PROGRESS)
    ticket_in(CUSTOMER_CARE, number="INC-2024-0007", status=TicketStatus.CANCELLED)
    ticket_in(CARD_AND_ATM, number="INC-2024-0008")  # unassigned, but another group's

    page = agent_client.get(f"{LIST_URL}?status=all").content.decode()
    links = dict(
        (text, href)
        for href, text in re.findall(r'<a href="([^"]*)">(My open tickets|Unassigned in my groups)</a>', page)
    )

    assert links == {"My open tickets": "?assignee=me", "Unassigned in my groups": "?assignee=none"}
    assert sorted(listed_numbers(agent_client.get(LIST_URL + links["My open tickets"]))) == [
        mine.number,
        mine_waiting.number,
    ]
    assert sorted(listed_numbers(agent_client.get(LIST_URL + links["Unassigned in my groups"]))) == [
        unassigned.number,
        unassigned_started.number,
    ]


# --- 9. an API key's last use ------------------------------------------------------------------


def test_the_key_list_and_page_show_when_each_key_was_last_used(client, reference_data, partner):
    # 06:07 UTC is 14:07 in Makassar, the desk's time zone.
    used = ApiKeyFactory(partner=partner, name="Gateway prod", last_used_at=datetime(2024, 3, 5, 6, 7, tzinfo=UTC))
    unused = ApiKeyFactory(partner=partner, name="Gateway test")
    client.force_login(staff_user("admin.desk", role=roles.ADMINISTRATOR))

    listed = client.get("/admin/apikeys/apikey/").content.decode()
    used_page = client.get(f"/admin/apikeys/apikey/{used.pk}/change/").content.decode()
    unused_page = client.get(f"/admin/apikeys/apikey/{unused.pk}/change/").content.decode()

    last_used_cells = re.findall(r'<td class="field-last_used_at nowrap">([^<]*)</td>', listed)
    assert sorted(last_used_cells) == ["-", "March 5, 2024, 2:07 p.m."]
    assert re.search(r'<label>Last used at:</label>\s*<div class="readonly">March 5, 2024, 2:07 p.m.</div>', used_page)
    assert re.search(r'<label>Last used at:</label>\s*<div class="readonly">-</div>', unused_page)


# --- 10. the support-group filter keeps to the user's groups ---------------------------------


def support_group_choices(response) -> list[str]:
    """The names the list's support-group filter offers, in order."""
    page = response.content.decode()
    section = page.split("By support group", 1)[1].split("</details>", 1)[0]
    return [html.unescape(name) for name in re.findall(r'<a href="[^"]*support_group=\d+[^"]*">([^<]+)</a>', section)]


def test_the_support_group_filter_offers_an_agent_only_their_groups(agent_client, agent):
    assert [g.name for g in agent.support_groups.all()] == [CUSTOMER_CARE]

    response = agent_client.get(f"{LIST_URL}?status=all")

    assert support_group_choices(response) == [CUSTOMER_CARE]


def test_the_support_group_filter_offers_an_administrator_every_group(client, reference_data):
    client.force_login(staff_user("root", role=roles.ADMINISTRATOR))

    response = client.get(f"{LIST_URL}?status=all")

    every_group = list(SupportGroup.objects.order_by("name").values_list("name", flat=True))
    assert len(every_group) == 6
    assert support_group_choices(response) == every_group


def test_the_support_group_filter_lists_that_groups_tickets_and_nothing_outside_the_users_groups(agent_client):
    mine = ticket_in(CUSTOMER_CARE, number="INC-2024-0001")
    theirs = ticket_in(CARD_AND_ATM, number="INC-2024-0002")

    own = agent_client.get(f"{LIST_URL}?status=all&support_group={mine.support_group_id}")
    other = agent_client.get(f"{LIST_URL}?status=all&support_group={theirs.support_group_id}")
    garbage = agent_client.get(f"{LIST_URL}?status=all&support_group=%C2%B2")

    assert listed_numbers(own) == [mine.number]
    assert listed_numbers(other) == []
    assert listed_numbers(garbage) == []
