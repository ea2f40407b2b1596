"""The agent console in the Django admin (tickets/ticket_admin.py): who sees which ticket,
that every page action and bulk action goes through the services (same events, same
webhooks as the partner API), the customer card, search, filters, auto-assignment, and
that the list and the page cost a fixed number of queries whatever their size."""

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import AttachmentFactory, CommentFactory, CustomerFactory, TicketFactory, UserFactory
from tests.payloads import HTML_BYTES, PNG_BYTES, create_body
from tickets import presentation, roles, selectors
from tickets.models import Attachment, Comment, EventKind, Service, SupportGroup, Ticket, TicketEvent, TicketStatus
from webhooks.models import Delivery

API_URL = "/api/omnichannel/tickets"
LIST_URL = "/admin/tickets/ticket/"
WEBHOOK_URL = "https://yourservice.com/webhook/ticket-updates"
CUSTOMER_CARE = "Customer Care"
CARD_AND_ATM = "Card & ATM Support"
CLAIMS = "Transaction Claims Support"
# A service of each group, for tickets made by the factory.
SERVICE_OF_GROUP = {CUSTOMER_CARE: "INQUIRY", CARD_AND_ATM: "CARD_ISSUE", CLAIMS: "CLAIM"}


# --- helpers ------------------------------------------------------------------------


def staff_user(username: str, *, role: str | None = None, agent_of=(), supervisor_of=(), **fields):
    user = UserFactory(username=username, **fields)
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    for name in agent_of:
        SupportGroup.objects.get(name=name).agents.add(user)
    for name in supervisor_of:
        SupportGroup.objects.get(name=name).supervisors.add(user)
    return user


def ticket_in(group_name: str, **fields) -> Ticket:
    service = Service.objects.get(service_type=SERVICE_OF_GROUP[group_name])
    return TicketFactory(service=service, **fields)


def create_through_api(api_client, *, service_type: str = "CLAIM", request_id: str, **customer) -> Ticket:
    """A real ticket, as a partner opens it, with a webhook URL so that changes record deliveries."""
    body = create_body(serviceType=service_type)
    body["integration"] = {**body["integration"], "webhookUrl": WEBHOOK_URL, "requestId": request_id}
    body["channelReferenceId"] = f"WA-{request_id}"
    body["customer"] = {**body["customer"], **customer}
    response = api_client.post(API_URL, body, format="json")
    assert response.status_code == 201, response.json()
    return Ticket.objects.get(number=response.json()["ticketNumber"])


def page_url(ticket: Ticket, action: str = "change") -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/{action}/"


def listed_numbers(response) -> list[str]:
    """The ticket numbers of the list, in the order the page shows them."""
    assert response.status_code == 200
    return re.findall(r'<th class="field-number"><a href="[^"]*">([^<]+)</a></th>', response.content.decode())


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def events(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("created_at", "pk").values_list("kind", flat=True))


def deliveries(ticket: Ticket) -> list[tuple[int, str]]:
    return list(Delivery.objects.filter(ticket=ticket).order_by("sequence").values_list("sequence", "event"))


def bulk(client, action: str, tickets, **extra):
    # The list's action form posts back to the list's own URL; ?status=all keeps final
    # tickets in the queryset the action receives, as it is when an agent selected them.
    data = {"action": action, "_selected_action": [ticket.pk for ticket in tickets], **extra}
    return client.post(f"{LIST_URL}?status=all", data)


@pytest.fixture
def agent(reference_data):
    """Agent A: the Agent role, working Customer Care."""
    return staff_user("agent.a", role=roles.AGENT, agent_of=[CUSTOMER_CARE], first_name="Ayu", last_name="Agent")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


# --- 1. scoping -----------------------------------------------------------------------


@pytest.fixture
def two_groups_tickets(reference_data):
    """Ticket X in Customer Care, ticket Y in Card & ATM Support, each with an attachment."""
    x = ticket_in(CUSTOMER_CARE, title="Question X")
    y = ticket_in(CARD_AND_ATM, title="Card Y")
    x_file = AttachmentFactory(ticket=x, filename="statement.pdf")
    y_file = AttachmentFactory(ticket=y, filename="card.pdf")
    return x, y, x_file, y_file


def test_agent_lists_only_the_tickets_of_their_groups(agent_client, two_groups_tickets):
    x, _, _, _ = two_groups_tickets

    response = agent_client.get(f"{LIST_URL}?status=all")

    assert listed_numbers(response) == [x.number]


def test_agent_gets_404_for_the_page_of_another_groups_ticket(agent_client, two_groups_tickets):
    x, y, _, _ = two_groups_tickets

    assert agent_client.get(page_url(y)).status_code == 404
    assert agent_client.get(page_url(x)).status_code == 200


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("reply", {"body": "Not your ticket"}),
        ("reply", {"body": "Not your ticket", "internal": "on"}),
        ("status", {"status": "RESOLVED"}),
        ("assign", {"assignee": "me"}),
        ("customer", {}),
    ],
)
def test_agent_cannot_act_on_another_groups_ticket(agent_client, two_groups_tickets, action, data):
    _, y, _, _ = two_groups_tickets

    response = agent_client.post(page_url(y, action), data)

    assert response.status_code == 404
    y.refresh_from_db()
    assert (y.status, y.assignee_id) == (TicketStatus.OPEN, None)
    assert Comment.objects.filter(ticket=y).count() == 0
    assert events(y) == []
    assert deliveries(y) == []


def test_agent_downloads_attachments_of_their_groups_tickets_only(agent_client, two_groups_tickets):
    x, y, x_file, y_file = two_groups_tickets

    refused = agent_client.get(f"/admin/tickets/ticket/{y.pk}/attachments/{y_file.public_id}/")
    # Another group's attachment asked for under one's own ticket is no way round.
    crossed = agent_client.get(f"/admin/tickets/ticket/{x.pk}/attachments/{y_file.public_id}/")
    response = agent_client.get(f"/admin/tickets/ticket/{x.pk}/attachments/{x_file.public_id}/")

    assert refused.status_code == 404
    assert crossed.status_code == 404
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="statement.pdf"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    response.close()


def test_a_bulk_action_on_another_groups_ticket_changes_nothing(agent_client, two_groups_tickets):
    _, y, _, _ = two_groups_tickets

    resolve = bulk(agent_client, "set_resolved", [y])
    # The admin narrows the selection to the visible queryset, so the action runs on none.
    assert (resolve.status_code, messages_of(resolve)) == (302, ["0 ticket(s) set to RESOLVED."])
    assign = bulk(agent_client, "assign_to_me", [y])
    assert (assign.status_code, messages_of(assign)[-1]) == (302, "0 ticket(s) assigned to Ayu Agent.")

    y.refresh_from_db()
    assert (y.status, y.assignee_id) == (TicketStatus.OPEN, None)
    assert events(y) == []
    assert deliveries(y) == []


def test_agent_cannot_read_another_groups_webhook_deliveries(agent_client, api_client):
    # The ticket page's timeline links each delivery to its page in the delivery admin,
    # and a delivery's body holds the ticket's number, reference and public replies.
    own = create_through_api(api_client, service_type="INQUIRY", request_id="REQ-SCOPE-1")
    other = create_through_api(api_client, service_type="CARD_ISSUE", request_id="REQ-SCOPE-2")
    other_delivery = Delivery.objects.get(ticket=other)

    listed = agent_client.get("/admin/webhooks/delivery/")
    detail = agent_client.get(f"/admin/webhooks/delivery/{other_delivery.pk}/change/")

    assert listed.status_code == 200
    assert own.number in listed.content.decode()
    assert other.number not in listed.content.decode()
    # Whether refused (403/404) or sent away (302, the admin's answer for a row outside
    # its queryset), the page must not show the other group's delivery.
    assert detail.status_code != 200
    assert other.number not in detail.content.decode()


def test_supervisor_sees_the_groups_they_supervise(client, two_groups_tickets):
    x, y, _, _ = two_groups_tickets
    supervisor = staff_user("super.card", role=roles.SUPERVISOR, supervisor_of=[CARD_AND_ATM])
    client.force_login(supervisor)

    response = client.get(f"{LIST_URL}?status=all")

    assert listed_numbers(response) == [y.number]
    assert client.get(page_url(y)).status_code == 200
    assert client.get(page_url(x)).status_code == 404


def test_administrator_sees_every_ticket(client, two_groups_tickets):
    x, y, _, _ = two_groups_tickets
    client.force_login(staff_user("admin.desk", role=roles.ADMINISTRATOR))

    response = client.get(f"{LIST_URL}?status=all")

    assert sorted(listed_numbers(response)) == sorted([x.number, y.number])
    assert client.get(page_url(y)).status_code == 200


def test_staff_user_without_a_role_is_refused_the_list(client, two_groups_tickets):
    x, _, x_file, _ = two_groups_tickets
    # In a support group, but without the Agent role's permissions.
    client.force_login(staff_user("no.role", agent_of=[CUSTOMER_CARE]))

    assert client.get(LIST_URL).status_code == 403
    assert client.get(page_url(x)).status_code == 404
    assert client.get(f"/admin/tickets/ticket/{x.pk}/attachments/{x_file.public_id}/").status_code == 404


# --- 2. the page's actions go through the services -------------------------------------


@pytest.fixture
def api_ticket(api_client, agent):
    """A partner's ticket with a webhook URL, in a group agent A then joins."""
    ticket = create_through_api(api_client, request_id="REQ-CONSOLE-1")
    ticket.support_group.agents.add(agent)
    assert deliveries(ticket) == [(1, "TICKET_CREATED")]
    return ticket


def test_public_reply_records_the_comment_and_schedules_the_comment_webhook(
    agent_client, agent, api_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = agent_client.post(page_url(api_ticket, "reply"), {"body": "  Kartu Anda sudah kami temukan.  "})

    assert response.status_code == 302
    assert response["Location"] == page_url(api_ticket)
    assert messages_of(response) == ["Reply sent."]
    comment = Comment.objects.get(ticket=api_ticket)
    assert (comment.body, comment.is_internal, comment.author_type, comment.author_user) == (
        "Kartu Anda sudah kami temukan.",
        False,
        "AGENT",
        agent,
    )
    assert events(api_ticket) == ["CREATED", "COMMENT_ADDED"]
    assert deliveries(api_ticket) == [(1, "TICKET_CREATED"), (2, "COMMENT_ADDED")]
    body = json.loads(Delivery.objects.get(ticket=api_ticket, sequence=2).body)
    assert body["data"]["comment"] == "Kartu Anda sudah kami temukan."
    assert body["data"]["author"] == "Ayu Agent"
    assert len(callbacks) == 1  # the delivery task, sent once the reply has committed
    api_ticket.refresh_from_db()
    assert api_ticket.first_response_at == comment.created_at


def test_internal_note_is_recorded_and_sends_no_webhook(agent_client, api_ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = agent_client.post(page_url(api_ticket, "reply"), {"body": "Call the branch", "internal": "on"})

    assert response.status_code == 302
    assert messages_of(response) == ["Internal note added."]
    comment = Comment.objects.get(ticket=api_ticket)
    assert (comment.body, comment.is_internal) == ("Call the branch", True)
    assert events(api_ticket) == ["CREATED", "NOTE_ADDED"]
    assert deliveries(api_ticket) == [(1, "TICKET_CREATED")]
    assert callbacks == []
    api_ticket.refresh_from_db()
    assert api_ticket.first_response_at is None  # a note is no response to the customer


def test_resolving_from_the_page_pauses_the_sla_and_sends_ticket_resolved(agent_client, api_ticket):
    response = agent_client.post(page_url(api_ticket, "status"), {"status": "RESOLVED", "reason": "Card returned"})

    assert response.status_code == 302
    assert messages_of(response) == [f"{api_ticket.number}: OPEN → RESOLVED."]
    api_ticket.refresh_from_db()
    assert api_ticket.status == TicketStatus.RESOLVED
    assert api_ticket.resolved_at is not None and api_ticket.sla_paused_at is not None
    assert events(api_ticket) == ["CREATED", "STATUS_CHANGED", "SLA_PAUSED"]
    assert deliveries(api_ticket) == [(1, "TICKET_CREATED"), (2, "TICKET_RESOLVED")]
    body = json.loads(Delivery.objects.get(ticket=api_ticket, sequence=2).body)
    assert body["data"] == {"oldStatus": "OPEN", "newStatus": "RESOLVED", "comment": "Card returned"}


def test_assign_to_me_from_the_page_records_the_assignment(agent_client, agent, api_ticket):
    response = agent_client.post(page_url(api_ticket, "assign"), {"assignee": "me"})

    assert response.status_code == 302
    assert messages_of(response) == [f"{api_ticket.number} assigned to Ayu Agent."]
    api_ticket.refresh_from_db()
    assert api_ticket.assignee == agent
    assert events(api_ticket) == ["CREATED", "ASSIGNED"]
    assigned = TicketEvent.objects.get(ticket=api_ticket, kind=EventKind.ASSIGNED)
    assert (assigned.from_value, assigned.to_value, assigned.actor_user) == ("", "agent.a", agent)
    assert deliveries(api_ticket) == [(1, "TICKET_CREATED")]  # assignment is not a partner event


def test_assigning_someone_outside_the_group_is_refused(agent_client, api_ticket, reference_data):
    outsider = staff_user("card.agent", role=roles.AGENT, agent_of=[CARD_AND_ATM])

    response = agent_client.post(page_url(api_ticket, "assign"), {"assignee": str(outsider.pk)})

    assert response.status_code == 302
    assert messages_of(response) == ["That agent does not work this ticket's support group."]
    api_ticket.refresh_from_db()
    assert api_ticket.assignee_id is None
    assert events(api_ticket) == ["CREATED"]


def test_an_uploaded_png_is_stored(agent_client, agent, api_ticket):
    upload = SimpleUploadedFile("screen.png", PNG_BYTES, content_type="image/png")

    response = agent_client.post(page_url(api_ticket, "reply"), {"body": "", "files": [upload]})

    assert response.status_code == 302
    stored = Attachment.objects.get(ticket=api_ticket, filename="screen.png")
    assert (stored.mime_type, stored.size, stored.uploaded_by_type, stored.uploaded_by_user) == (
        "image/png",
        len(PNG_BYTES),
        "AGENT",
        agent,
    )
    with stored.file.open("rb") as handle:
        assert handle.read() == PNG_BYTES
    assert events(api_ticket) == ["CREATED", "ATTACHMENT_ADDED"]
    assert Comment.objects.filter(ticket=api_ticket).count() == 0
    downloaded = agent_client.get(f"/admin/tickets/ticket/{api_ticket.pk}/attachments/{stored.public_id}/")
    assert b"".join(downloaded.streaming_content) == PNG_BYTES
    downloaded.close()


def test_an_html_file_declared_as_png_is_refused_and_nothing_is_stored(agent_client, api_ticket):
    attachments_before = Attachment.objects.filter(ticket=api_ticket).count()
    upload = SimpleUploadedFile("photo.png", HTML_BYTES, content_type="image/png")

    response = agent_client.post(page_url(api_ticket, "reply"), {"body": "See the photo", "files": [upload]})

    assert response.status_code == 400
    assert "Content does not match MIME type image/png (it looks like unknown data)." in response.content.decode()
    assert Attachment.objects.filter(ticket=api_ticket).count() == attachments_before
    assert Comment.objects.filter(ticket=api_ticket).count() == 0  # the reply is not sent without its file
    assert events(api_ticket) == ["CREATED"]
    assert deliveries(api_ticket) == [(1, "TICKET_CREATED")]


def test_a_transition_the_machine_forbids_changes_nothing_and_says_why(agent_client, api_ticket):
    response = agent_client.post(page_url(api_ticket, "status"), {"status": "CLOSED"}, follow=True)

    assert response.status_code == 200
    assert (
        "Cannot change status from OPEN to CLOSED. Allowed from OPEN: IN_PROGRESS, PENDING, RESOLVED, CANCELLED."
        in response.content.decode()
    )
    api_ticket.refresh_from_db()
    assert api_ticket.status == TicketStatus.OPEN
    assert events(api_ticket) == ["CREATED"]
    assert deliveries(api_ticket) == [(1, "TICKET_CREATED")]


# --- 3. bulk actions ---------------------------------------------------------------------


def test_bulk_resolve_is_all_or_nothing_and_names_the_ticket_that_cannot_move(agent_client, api_client, agent):
    with_webhook = create_through_api(api_client, service_type="INQUIRY", request_id="REQ-BULK-1")
    plain = ticket_in(CUSTOMER_CARE, number="INC-2024-0001")
    closed = ticket_in(CUSTOMER_CARE, number="INC-2024-0002", status=TicketStatus.CLOSED)

    response = bulk(agent_client, "set_resolved", [with_webhook, plain, closed])

    assert response.status_code == 302
    assert messages_of(response) == [
        "No ticket was changed. Cannot set RESOLVED for: INC-2024-0002 is CLOSED (allowed: none, it is final)."
    ]
    for ticket, status in [(with_webhook, "OPEN"), (plain, "OPEN"), (closed, "CLOSED")]:
        ticket.refresh_from_db()
        assert ticket.status == status
    assert TicketEvent.objects.filter(kind=EventKind.STATUS_CHANGED).count() == 0
    assert deliveries(with_webhook) == [(1, "TICKET_CREATED")]


def test_bulk_resolve_names_every_ticket_that_cannot_move_with_its_allowed_transitions(agent_client, reference_data):
    resolved = ticket_in(CUSTOMER_CARE, number="INC-2024-0001", status=TicketStatus.RESOLVED)
    cancelled = ticket_in(CUSTOMER_CARE, number="INC-2024-0002", status=TicketStatus.CANCELLED)
    pending = ticket_in(CUSTOMER_CARE, number="INC-2024-0003", status=TicketStatus.PENDING)

    response = bulk(agent_client, "set_in_progress", [pending, resolved, cancelled])

    assert messages_of(response) == [
        "No ticket was changed. Cannot set IN_PROGRESS for: INC-2024-0002 is CANCELLED (allowed: none, it is final)."
    ]
    pending.refresh_from_db()
    resolved.refresh_from_db()
    assert (pending.status, resolved.status) == ("PENDING", "RESOLVED")


def test_bulk_resolve_resolves_every_allowed_ticket_and_sends_each_webhook(agent_client, api_client, agent):
    first = create_through_api(api_client, service_type="INQUIRY", request_id="REQ-BULK-1")
    second = create_through_api(api_client, service_type="COMPLAINT", request_id="REQ-BULK-2")
    without_url = ticket_in(CUSTOMER_CARE, status=TicketStatus.IN_PROGRESS)

    response = bulk(agent_client, "set_resolved", [first, second, without_url])

    assert messages_of(response) == ["3 ticket(s) set to RESOLVED."]
    for ticket in (first, second, without_url):
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.RESOLVED
        assert [kind for kind in events(ticket) if kind != "CREATED"] == ["STATUS_CHANGED", "SLA_PAUSED"]
    assert deliveries(first) == [(1, "TICKET_CREATED"), (2, "TICKET_RESOLVED")]
    assert deliveries(second) == [(1, "TICKET_CREATED"), (2, "TICKET_RESOLVED")]
    assert deliveries(without_url) == []


def test_bulk_assign_to_me_assigns_every_selected_ticket(agent_client, agent):
    tickets = [ticket_in(CUSTOMER_CARE) for _ in range(3)]

    response = bulk(agent_client, "assign_to_me", tickets)

    assert messages_of(response) == ["3 ticket(s) assigned to Ayu Agent."]
    assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {agent.pk}
    assert TicketEvent.objects.filter(kind=EventKind.ASSIGNED, to_value="agent.a").count() == 3


def test_bulk_assign_to_agent_asks_whom_and_then_assigns(agent_client, agent):
    colleague = staff_user("budi", role=roles.AGENT, agent_of=[CUSTOMER_CARE], first_name="Budi", last_name="Santoso")
    staff_user("card.agent", role=roles.AGENT, agent_of=[CARD_AND_ATM])
    tickets = [ticket_in(CUSTOMER_CARE) for _ in range(2)]

    asked = bulk(agent_client, "assign_to_agent", tickets)

    assert asked.status_code == 200
    assert asked.templates[0].name == "admin/tickets/ticket/assign_to_agent.html"
    offered = list(asked.context["form"].fields["assignee"].queryset)
    assert offered == [agent, colleague]  # only agents of the tickets' group, by first name
    assert Ticket.objects.filter(assignee__isnull=False).count() == 0

    applied = bulk(agent_client, "assign_to_agent", tickets, apply="Assign", assignee=str(colleague.pk))

    assert applied.status_code == 302
    assert messages_of(applied) == ["2 ticket(s) assigned to Budi Santoso."]
    assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {colleague.pk}


# --- 4. the customer card ------------------------------------------------------------------


@pytest.fixture
def claim_ticket(agent):
    customer = CustomerFactory(
        name="John Doe", identifier="CIF123456", email="john.doe@email.com", phone="+6281234567890"
    )
    return ticket_in(
        CUSTOMER_CARE, customer=customer, metadata={"claimAmount": 1500000, "claimCurrency": "IDR", "atmId": "ATM001"}
    )


def test_the_customer_card_masks_contact_details(agent_client, claim_ticket):
    page = agent_client.get(page_url(claim_ticket)).content.decode()

    assert presentation.mask_email("john.doe@email.com") == "jo******@email.com"
    assert presentation.mask_phone("+6281234567890") == "+62812******90"
    assert "<tr><th>E-mail</th><td>jo******@email.com</td></tr>" in page
    assert "<tr><th>Phone</th><td>+62812******90</td></tr>" in page
    assert "john.doe@email.com" not in page and "+6281234567890" not in page
    assert 'value="Show contact details (recorded)"' in page
    assert TicketEvent.objects.filter(kind=EventKind.CUSTOMER_DETAILS_VIEWED).count() == 0


def test_showing_the_contact_details_records_who_looked(agent_client, agent, claim_ticket):
    response = agent_client.post(page_url(claim_ticket, "customer"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<tr><th>E-mail</th><td>john.doe@email.com</td></tr>" in page
    assert "<tr><th>Phone</th><td>+6281234567890</td></tr>" in page
    assert 'value="Show contact details (recorded)"' not in page
    viewed = TicketEvent.objects.get(ticket=claim_ticket)
    assert (viewed.kind, viewed.actor_type, viewed.actor_user, viewed.actor_label) == (
        EventKind.CUSTOMER_DETAILS_VIEWED,
        "AGENT",
        agent,
        "Ayu Agent",
    )


def test_metadata_amounts_are_shown_in_rupiah(agent_client, claim_ticket):
    page = agent_client.get(page_url(claim_ticket)).content.decode()

    assert presentation.rupiah(1500000) == "Rp1.500.000"
    assert "<tr><th>claimAmount</th><td>Rp1.500.000</td></tr>" in page
    assert "<tr><th>atmId</th><td>ATM001</td></tr>" in page


# --- 5. search ---------------------------------------------------------------------------


@pytest.fixture
def searchable(agent):
    """Three Customer Care tickets of three customers, and one of another group that
    matches every term but must never show."""

    def customer(cif: str, email: str, phone: str, name: str):
        return CustomerFactory(identifier=cif, email=email, phone=phone, name=name)

    card = ticket_in(
        CUSTOMER_CARE,
        number="INC-2024-0101",
        channel_reference_id="WA-2024-001-XYZ",
        title="Kartu tertelan di ATM Mall",
        customer=customer("CIF123456", "john.doe@email.com", "+6281234567890", "John Doe"),
    )
    transfer = ticket_in(
        CUSTOMER_CARE,
        number="INC-2024-0102",
        channel_reference_id="WA-2024-002-ABC",
        title="Transfer gagal",
        customer=customer("CIF654321", "siti@example.com", "+6281298765432", "Siti Rahma"),
    )
    balance = ticket_in(
        CUSTOMER_CARE,
        number="INC-2024-0103",
        channel_reference_id="EM-77",
        title="Saldo tidak sesuai",
        customer=transfer.customer,
    )
    ticket_in(
        CARD_AND_ATM,
        number="INC-2024-0104",
        channel_reference_id="WA-2024-001-XYZ-OTHER",
        title="Kartu tertelan lagi",
        customer=card.customer,
    )
    return card, transfer, balance


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("INC-2024-0101", ["INC-2024-0101"]),
        ("inc-2024-0102", ["INC-2024-0102"]),  # numbers are upper case; agents type either
        ("WA-2024-001-XYZ", ["INC-2024-0101"]),
        ("CIF654321", ["INC-2024-0102", "INC-2024-0103"]),
        ("JOHN.DOE@Email.COM", ["INC-2024-0101"]),
        ("+6281298765432", ["INC-2024-0102", "INC-2024-0103"]),
        ("+62 812-9876-5432", ["INC-2024-0102", "INC-2024-0103"]),
        ("tertelan", ["INC-2024-0101"]),
        ("TRANSFER", ["INC-2024-0102"]),
        ("nothing-like-this", []),
        ("INC-2024-0104", []),  # another group's ticket, by its number
        ("WA-2024-001-XYZ-OTHER", []),  # and by its reference
    ],
)
def test_search_finds_exactly_the_matching_tickets(agent_client, searchable, term, expected):
    response = agent_client.get(LIST_URL, {"q": term, "status": "all"})

    assert sorted(listed_numbers(response)) == expected


# --- 6. filters and order ----------------------------------------------------------------


def test_assignee_filters_show_mine_and_the_unassigned(agent_client, agent, reference_data):
    colleague = staff_user("budi", role=roles.AGENT, agent_of=[CUSTOMER_CARE])
    mine = ticket_in(CUSTOMER_CARE, assignee=agent)
    theirs = ticket_in(CUSTOMER_CARE, assignee=colleague)
    unassigned = ticket_in(CUSTOMER_CARE)
    ticket_in(CUSTOMER_CARE, assignee=agent, status=TicketStatus.RESOLVED)  # not in the open queue

    assert listed_numbers(agent_client.get(f"{LIST_URL}?assignee=me")) == [mine.number]
    assert listed_numbers(agent_client.get(f"{LIST_URL}?assignee=none")) == [unassigned.number]
    assert listed_numbers(agent_client.get(f"{LIST_URL}?assignee={colleague.pk}")) == [theirs.number]


def test_the_assignee_filter_offers_only_the_agents_of_groups_the_user_sees(client, agent_client, agent):
    # given: a colleague in the agent's group, an inactive one, and agents of another group
    colleague = staff_user("budi", role=roles.AGENT, agent_of=[CUSTOMER_CARE], first_name="Budi")
    staff_user("gone", role=roles.AGENT, agent_of=[CUSTOMER_CARE], first_name="Gone", is_active=False)
    card_agent = staff_user("card.agent", role=roles.AGENT, agent_of=[CARD_AND_ATM], first_name="Citra")
    card_supervisor = staff_user("super.card", role=roles.SUPERVISOR, supervisor_of=[CARD_AND_ATM])
    administrator = staff_user("admin.x", role=roles.ADMINISTRATOR)

    # when
    offered = {
        user.username: set(selectors.agents_visible_to(user).values_list("username", flat=True))
        for user in (agent, card_supervisor, administrator)
    }
    page = agent_client.get(LIST_URL).content.decode()

    # then
    assert offered == {
        "agent.a": {"agent.a", "budi"},
        "super.card": {"card.agent"},
        "admin.x": {"agent.a", "budi", "card.agent"},
    }
    assert f"?assignee={colleague.pk}" in page
    assert f"?assignee={card_agent.pk}" not in page
    assert "Citra" not in page


def test_the_default_queue_hides_resolved_and_final_tickets_and_status_all_shows_them(agent_client, agent):
    by_status = {status: ticket_in(CUSTOMER_CARE, status=status) for status in TicketStatus.values}

    queue = listed_numbers(agent_client.get(LIST_URL))
    everything = listed_numbers(agent_client.get(f"{LIST_URL}?status=all"))
    resolved_only = listed_numbers(agent_client.get(f"{LIST_URL}?status=RESOLVED"))

    assert sorted(queue) == sorted(by_status[s].number for s in ["OPEN", "IN_PROGRESS", "PENDING"])
    assert sorted(everything) == sorted(ticket.number for ticket in by_status.values())
    assert resolved_only == [by_status["RESOLVED"].number]


def test_the_list_puts_the_earliest_resolution_deadline_first(agent_client, agent):
    now = timezone.now()
    later = ticket_in(CUSTOMER_CARE, number="INC-2024-0001", resolution_deadline=now + timedelta(hours=8))
    overdue = ticket_in(CUSTOMER_CARE, number="INC-2024-0002", resolution_deadline=now - timedelta(hours=1))
    soon = ticket_in(CUSTOMER_CARE, number="INC-2024-0003", resolution_deadline=now + timedelta(minutes=30))

    assert listed_numbers(agent_client.get(LIST_URL)) == [overdue.number, soon.number, later.number]


# --- 7. auto-assignment --------------------------------------------------------------------


@pytest.fixture
def claims_agents(reference_data):
    """Two active agents of the claims group: `busy` (the older account) with two open
    tickets and one resolved, `idle` with none open."""
    busy = staff_user("busy", role=roles.AGENT, agent_of=[CLAIMS])
    idle = staff_user("idle", role=roles.AGENT, agent_of=[CLAIMS])
    ticket_in(CLAIMS, assignee=busy)
    ticket_in(CLAIMS, assignee=busy, status=TicketStatus.PENDING)
    ticket_in(CLAIMS, assignee=idle, status=TicketStatus.RESOLVED)  # done work is no load
    return busy, idle


def test_a_new_ticket_goes_to_the_least_loaded_agent(api_client, claims_agents):
    _, idle = claims_agents

    ticket = create_through_api(api_client, request_id="REQ-AUTO-1")

    assert ticket.assignee == idle
    assert events(ticket) == ["CREATED"]


def test_without_auto_assignment_a_new_ticket_stays_unassigned(api_client, claims_agents, settings):
    settings.AUTO_ASSIGN_TICKETS = False

    ticket = create_through_api(api_client, request_id="REQ-AUTO-1")

    assert ticket.assignee is None


def test_an_inactive_agent_is_never_chosen(api_client, reference_data):
    # The inactive agent has no load and the oldest account: the first choice were it active.
    staff_user("left.the.bank", role=roles.AGENT, agent_of=[CLAIMS], is_active=False)
    busy = staff_user("busy", role=roles.AGENT, agent_of=[CLAIMS])
    ticket_in(CLAIMS, assignee=busy)

    ticket = create_through_api(api_client, request_id="REQ-AUTO-1")

    assert ticket.assignee == busy


def test_a_group_with_only_inactive_agents_leaves_the_ticket_unassigned(api_client, reference_data):
    staff_user("left.the.bank", role=roles.AGENT, agent_of=[CLAIMS], is_active=False)

    ticket = create_through_api(api_client, request_id="REQ-AUTO-1")

    assert ticket.assignee is None


# --- 8. query counts ---------------------------------------------------------------------

# The list, for a superuser: session, user, the support group and branch filters' choices,
# the assignee filter's agents, the (capped) count and the page of tickets with their
# service, customer and assignee joined in.
LIST_QUERIES_FOR_SUPERUSER = 7
# For an agent, three more: their own and their groups' permissions (cached for the
# request), and whether they are an Administrator (tickets_visible_to). The scoping to
# their support groups is a subquery of the count and of the page, not a query of its own.
LIST_QUERIES_FOR_AGENT = 10
# The page, for an agent: session, user, two permission queries, the Administrator check,
# the visible ticket, the ticket again with its customer, branch, service, group, assignee
# and partner joined in, then one query each for comments, events, deliveries,
# attachments and the group's agents (the assign menu).
PAGE_QUERIES_FOR_AGENT = 12


@pytest.mark.parametrize(
    ("as_agent", "expected"),
    [(False, LIST_QUERIES_FOR_SUPERUSER), (True, LIST_QUERIES_FOR_AGENT)],
    ids=["superuser", "agent"],
)
def test_the_list_costs_the_same_queries_for_100_tickets_as_for_10(
    client, agent, django_assert_num_queries, as_agent, expected
):
    client.force_login(agent if as_agent else staff_user("root", is_superuser=True))
    TicketFactory.create_batch(10, assignee=agent)  # each with its own customer and partner
    client.get(LIST_URL)  # warm up: what the first request of a process caches

    with django_assert_num_queries(expected) as ten:
        assert len(listed_numbers(client.get(LIST_URL))) == 10
    TicketFactory.create_batch(45, assignee=agent)
    TicketFactory.create_batch(45)
    with django_assert_num_queries(expected) as hundred:
        assert len(listed_numbers(client.get(LIST_URL))) == 100

    assert len(hundred) == len(ten)  # no query per row


def test_the_ticket_page_costs_the_same_queries_for_50_comments_as_for_5(
    agent_client, api_ticket, django_assert_num_queries
):
    CommentFactory.create_batch(5, ticket=api_ticket)
    AttachmentFactory(ticket=api_ticket)
    agent_client.get(page_url(api_ticket))  # warm up

    with django_assert_num_queries(PAGE_QUERIES_FOR_AGENT) as five:
        assert agent_client.get(page_url(api_ticket)).status_code == 200
    CommentFactory.create_batch(45, ticket=api_ticket)
    AttachmentFactory.create_batch(4, ticket=api_ticket)
    agent_client.post(page_url(api_ticket, "status"), {"status": "IN_PROGRESS"})  # an event and a delivery more
    agent_client.get(page_url(api_ticket))  # shows the status message once (it lives in the session)
    with django_assert_num_queries(PAGE_QUERIES_FOR_AGENT) as fifty:
        page = agent_client.get(page_url(api_ticket))
        assert page.status_code == 200

    assert len(fifty) == len(five)  # no query per comment, event, delivery or attachment
    assert page.content.decode().count('class="reply"') == 50
