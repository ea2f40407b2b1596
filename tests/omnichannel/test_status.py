import datetime

from django.utils import timezone

from tests.factories import AttachmentFactory, CommentFactory, TicketFactory, UserFactory
from tickets.models import AuthorType

URL = "/api/omnichannel/tickets/{}"


def zulu(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def test_status_answers_the_spec_shape(api_client, reference_data, partner):
    # given
    agent = UserFactory(first_name="Jane", last_name="Tech")
    ticket = TicketFactory(partner=partner, assignee=agent, priority="HIGH", status="IN_PROGRESS")
    first = CommentFactory(ticket=ticket, body="Ticket received", author_type=AuthorType.SYSTEM, author_name="System")
    last = CommentFactory(
        ticket=ticket,
        body="We have retrieved your card",
        author_name="Jane Tech",
        created_at=first.created_at + datetime.timedelta(minutes=30),
    )
    document = AttachmentFactory(ticket=ticket, filename="atm_receipt.jpg", mime_type="image/jpeg", size=102400)

    # when
    before = timezone.now()
    response = api_client.get(URL.format(ticket.number))
    after = timezone.now()

    # then
    assert response.status_code == 200
    body = response.json()
    # Time left counts from the moment of the answer: bounded by the moments around it.
    for field, deadline in [
        ("responseTimeLeftSeconds", ticket.response_deadline),
        ("resolutionTimeLeftSeconds", ticket.resolution_deadline),
    ]:
        left = body["sla"].pop(field)
        assert int((deadline - after).total_seconds()) <= left <= int((deadline - before).total_seconds())
    assert body == {
        "ticketNumber": ticket.number,
        "ticketId": ticket.public_id,
        "channel": "WHATSAPP",
        "channelReferenceId": ticket.channel_reference_id,
        "title": ticket.title,
        "status": "IN_PROGRESS",
        "priority": "HIGH",
        "createdAt": zulu(ticket.created_at),
        "updatedAt": zulu(ticket.updated_at),
        "resolvedAt": None,
        "closedAt": None,
        "currentAssignee": "Jane Tech",
        "service": {"type": "INQUIRY", "name": "General Inquiries", "supportGroup": "Customer Care"},
        "branch": {"name": "Cabang Utama", "code": "001"},
        "lastComment": {
            "id": str(last.public_id),
            "content": "We have retrieved your card",
            "author": "Jane Tech",
            "timestamp": zulu(last.created_at),
            "isFromSupport": True,
        },
        "sla": {
            "responseDeadline": zulu(ticket.response_deadline),
            "resolutionDeadline": zulu(ticket.resolution_deadline),
            "isBreached": False,
            "isPaused": False,
        },
        "comments": [
            {
                "id": str(first.public_id),
                "content": "Ticket received",
                "author": "System",
                "timestamp": zulu(first.created_at),
                "isFromSupport": True,
            },
            {
                "id": str(last.public_id),
                "content": "We have retrieved your card",
                "author": "Jane Tech",
                "timestamp": zulu(last.created_at),
                "isFromSupport": True,
            },
        ],
        "attachments": [
            {
                "id": str(document.public_id),
                "filename": "atm_receipt.jpg",
                "mimeType": "image/jpeg",
                "size": 102400,
                "uploadedAt": zulu(document.uploaded_at),
            }
        ],
    }


def test_status_never_shows_internal_notes(api_client, reference_data, partner):
    ticket = TicketFactory(partner=partner)
    CommentFactory(ticket=ticket, body="Customer reply", author_type=AuthorType.CUSTOMER, author_name="Customer")
    CommentFactory(ticket=ticket, body="Internal: check fraud list", is_internal=True)

    body = api_client.get(URL.format(ticket.number)).json()

    assert [c["content"] for c in body["comments"]] == ["Customer reply"]
    assert body["comments"][0]["isFromSupport"] is False
    assert body["lastComment"]["content"] == "Customer reply"
    assert "Internal" not in str(body)


def test_status_of_a_ticket_without_comments_has_null_last_comment(api_client, reference_data, partner):
    ticket = TicketFactory(partner=partner, branch=None)

    body = api_client.get(URL.format(ticket.number)).json()

    assert body["lastComment"] is None
    assert body["comments"] == []
    assert body["branch"] is None
    assert body["currentAssignee"] is None


def test_status_is_breached_once_the_response_deadline_passed_without_reply(api_client, reference_data, partner):
    created = timezone.now() - datetime.timedelta(hours=5)
    ticket = TicketFactory(partner=partner, created_at=created)  # MEDIUM: response due after 4 h

    body = api_client.get(URL.format(ticket.number)).json()

    assert body["sla"]["isBreached"] is True


def test_status_of_unknown_number_is_404_in_the_envelope(api_client, reference_data):
    response = api_client.get(URL.format("INC-2024-9999"))

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Ticket not found.", "code": "not_found", "errors": {}}


def test_status_query_count_with_50_comments_and_10_attachments(
    api_client, reference_data, partner, django_assert_max_num_queries
):
    ticket = TicketFactory(partner=partner, assignee=UserFactory())
    CommentFactory.create_batch(50, ticket=ticket)
    AttachmentFactory.create_batch(10, ticket=ticket)

    with django_assert_max_num_queries(6):
        response = api_client.get(URL.format(ticket.number))

    assert response.status_code == 200
    assert len(response.json()["comments"]) == 50
    assert len(response.json()["attachments"]) == 10
