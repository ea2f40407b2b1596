import pytest

from tests.factories import PartnerFactory, TicketFactory
from tests.payloads import HTML_BYTES, PDF_BYTES, attachment
from tickets.models import Attachment, Comment, EventKind, Ticket, TicketEvent

URL = "/api/omnichannel/tickets/{}"
STATUSES = ["OPEN", "IN_PROGRESS", "PENDING", "RESOLVED", "CLOSED", "CANCELLED"]
# DESIGN.md: partners may cancel from any non-final state, close from RESOLVED, reopen
# (OPEN) from RESOLVED. Written out in full rather than derived from the code under test.
PARTNER_ALLOWED = {
    ("OPEN", "CANCELLED"),
    ("IN_PROGRESS", "CANCELLED"),
    ("PENDING", "CANCELLED"),
    ("RESOLVED", "CANCELLED"),
    ("RESOLVED", "CLOSED"),
    ("RESOLVED", "OPEN"),
}
PARTNER_ALLOWED_FROM = {
    "OPEN": "CANCELLED",
    "IN_PROGRESS": "CANCELLED",
    "PENDING": "CANCELLED",
    "RESOLVED": "OPEN, CLOSED, CANCELLED",
    "CLOSED": "none (the ticket is final)",
    "CANCELLED": "none (the ticket is final)",
}


def patch(client, ticket, body):
    return client.patch(URL.format(ticket.number), body, format="json")


def test_add_comment_answers_the_spec_update_body(api_client, reference_data, partner):
    ticket = TicketFactory(partner=partner)

    response = patch(api_client, ticket, {"action": "ADD_COMMENT", "comment": "Customer sent more details"})

    assert response.status_code == 200
    comment = Comment.objects.get()
    body = response.json()
    assert body["success"] is True
    assert body["ticketNumber"] == ticket.number
    assert body["action"] == "ADD_COMMENT"
    assert body["message"] == "Ticket updated successfully"
    assert body["result"]["comment"]["id"] == str(comment.public_id)
    assert body["result"]["comment"]["content"] == "Customer sent more details"
    assert body["result"]["comment"]["author"] == "Customer"
    assert body["result"]["comment"]["isFromSupport"] is False
    assert comment.is_internal is False
    assert comment.author_type == "CUSTOMER"
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.COMMENT_ADDED).count() == 1


def test_partner_comment_does_not_count_as_the_desks_first_response(api_client, reference_data, partner):
    ticket = TicketFactory(partner=partner)

    patch(api_client, ticket, {"action": "ADD_COMMENT", "comment": "Any news?"})

    ticket.refresh_from_db()
    assert ticket.first_response_at is None


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_partner_status_transitions(api_client, reference_data, partner, current, target):
    ticket = TicketFactory(partner=partner, status=current)

    response = patch(api_client, ticket, {"action": "UPDATE_STATUS", "status": target})

    ticket.refresh_from_db()
    if (current, target) in PARTNER_ALLOWED:
        assert response.status_code == 200, response.json()
        assert response.json()["result"] == {"previousStatus": current, "status": target}
        assert ticket.status == target
        event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.STATUS_CHANGED)
        assert (event.from_value, event.to_value, event.actor_partner) == (current, target, partner)
    else:
        assert response.status_code == 409
        assert response.json() == {
            "success": False,
            "error": (
                f"Cannot change status from {current} to {target}. Allowed from {current}: "
                f"{PARTNER_ALLOWED_FROM[current]}."
            ),
            "code": "transition_not_allowed",
            "errors": {"status": f"Allowed transitions from {current}: {PARTNER_ALLOWED_FROM[current]}"},
        }
        assert ticket.status == current
        assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_status_timestamps_follow_the_change(api_client, reference_data, partner):
    resolved = TicketFactory(partner=partner, status="RESOLVED")
    patch(api_client, resolved, {"action": "UPDATE_STATUS", "status": "CLOSED", "comment": "Customer confirmed"})
    reopened = TicketFactory(partner=partner, status="RESOLVED")
    patch(api_client, reopened, {"action": "UPDATE_STATUS", "status": "OPEN"})
    cancelled = TicketFactory(partner=partner, status="OPEN")
    patch(api_client, cancelled, {"action": "UPDATE_STATUS", "status": "CANCELLED"})

    resolved.refresh_from_db()
    reopened.refresh_from_db()
    cancelled.refresh_from_db()
    assert resolved.closed_at is not None
    assert TicketEvent.objects.get(ticket=resolved).data == {"reason": "Customer confirmed"}
    assert reopened.resolved_at is None
    assert cancelled.cancelled_at is not None
    assert api_client.get(URL.format(resolved.number)).json()["closedAt"] is not None


def test_unknown_status_value_is_a_validation_error(api_client, reference_data, partner):
    ticket = TicketFactory(partner=partner)

    response = patch(api_client, ticket, {"action": "UPDATE_STATUS", "status": "DONE"})

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"] == {
        "status": '"DONE" is not valid. Allowed values: OPEN, IN_PROGRESS, PENDING, RESOLVED, CLOSED, CANCELLED.'
    }


@pytest.mark.parametrize(
    ("body", "error_key"),
    [
        ({}, "action"),
        ({"action": "DELETE"}, "action"),
        ({"action": "ADD_COMMENT"}, "comment"),
        ({"action": "ADD_COMMENT", "comment": ""}, "comment"),
        ({"action": "ADD_COMMENT", "comment": "x" * 10001}, "comment"),
        ({"action": "ADD_COMMENT", "comment": {"text": "hi"}}, "comment"),
        ({"action": "UPDATE_STATUS"}, "status"),
        ({"action": "ADD_ATTACHMENT"}, "attachments"),
        ({"action": "ADD_ATTACHMENT", "attachments": []}, "attachments"),
        ({"action": "ADD_ATTACHMENT", "attachments": [attachment(HTML_BYTES, mime_type="image/png")]},
         "attachments.0.content"),
    ],
)  # fmt: skip
def test_invalid_update_bodies_are_400_and_change_nothing(api_client, reference_data, partner, body, error_key):
    ticket = TicketFactory(partner=partner)

    response = patch(api_client, ticket, body)

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["errors"]) == [error_key]
    assert not TicketEvent.objects.filter(ticket=ticket).exists()
    assert Comment.objects.count() == 0


def test_add_attachment_stores_the_file(api_client, reference_data, partner):
    ticket = TicketFactory(partner=partner)

    statement = attachment(PDF_BYTES, filename="statement.pdf", mime_type="application/pdf")

    response = patch(api_client, ticket, {"action": "ADD_ATTACHMENT", "attachments": [statement]})

    assert response.status_code == 200
    stored = Attachment.objects.get()
    assert response.json()["result"]["attachments"] == [
        {
            "id": str(stored.public_id),
            "filename": "statement.pdf",
            "mimeType": "application/pdf",
            "size": len(PDF_BYTES),
            "uploadedAt": stored.uploaded_at.isoformat().replace("+00:00", "Z"),
        }
    ]
    assert TicketEvent.objects.get(ticket=ticket).kind == EventKind.ATTACHMENT_ADDED


@pytest.mark.parametrize("final_status", ["CLOSED", "CANCELLED"])
def test_final_tickets_take_no_comment_or_attachment(api_client, reference_data, partner, final_status):
    ticket = TicketFactory(partner=partner, status=final_status)

    comment = patch(api_client, ticket, {"action": "ADD_COMMENT", "comment": "Hello?"})
    upload = patch(api_client, ticket, {"action": "ADD_ATTACHMENT", "attachments": [attachment()]})

    for response in (comment, upload):
        assert response.status_code == 409
        assert response.json()["code"] == "ticket_final"
    assert Comment.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_patch_of_another_partners_ticket_is_404_and_changes_nothing(api_client, reference_data):
    theirs = TicketFactory(partner=PartnerFactory(code="OTHER"), status="RESOLVED")

    for body in (
        {"action": "ADD_COMMENT", "comment": "Hi"},
        {"action": "UPDATE_STATUS", "status": "CLOSED"},
        {"action": "ADD_ATTACHMENT", "attachments": [attachment()]},
    ):
        response = patch(api_client, theirs, body)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    theirs.refresh_from_db()
    assert theirs.status == "RESOLVED"
    assert Comment.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert not TicketEvent.objects.exists()


def test_get_of_another_partners_ticket_is_404_like_an_unknown_number(api_client, reference_data):
    theirs = TicketFactory(partner=PartnerFactory(code="OTHER"))

    response = api_client.get(URL.format(theirs.number))
    unknown = api_client.get(URL.format("INC-1999-0001"))

    assert response.status_code == 404
    assert response.json() == unknown.json()
    assert Ticket.objects.filter(pk=theirs.pk).exists()
