"""Idempotency, one request after another (concurrent duplicates: test_concurrency.py)."""

import datetime
from io import StringIO

from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from omnichannel.models import IdempotencyRecord
from omnichannel.tasks import purge_idempotency_records
from tests.factories import ApiKeyFactory, PartnerFactory, TicketFactory
from tests.payloads import create_body, minimal_body
from tickets.models import Comment, Ticket

URL = "/api/omnichannel/tickets"


def with_request_id(request_id: str, **overrides) -> dict:
    return minimal_body(integration={"requestId": request_id}, **overrides)


def test_same_request_id_and_body_replays_the_first_answer(api_client, reference_data):
    first = api_client.post(URL, create_body(), format="json")

    second = api_client.post(URL, create_body(), format="json")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Ticket.objects.count() == 1


def test_same_request_id_with_another_body_is_a_409_and_creates_nothing(api_client, reference_data):
    api_client.post(URL, with_request_id("REQ-1"), format="json")

    changed = with_request_id("REQ-1", ticket={"title": "Another", "description": "Different"})
    response = api_client.post(URL, changed, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "error": "This idempotency key was already used with a different request.",
        "code": "idempotency_key_reused",
        "errors": {},
    }
    assert Ticket.objects.count() == 1


def test_request_ids_are_scoped_per_partner(api_client, reference_data, partner):
    other_partner_client = APIClient()
    other_partner_client.credentials(HTTP_X_API_KEY=ApiKeyFactory(partner=PartnerFactory(code="OTHER")).raw_key)

    mine = api_client.post(URL, with_request_id("REQ-SHARED"), format="json")
    theirs = other_partner_client.post(URL, with_request_id("REQ-SHARED"), format="json")

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["ticketNumber"] != theirs.json()["ticketNumber"]
    assert Ticket.objects.count() == 2


def test_after_24_hours_the_request_id_opens_a_new_ticket(api_client, reference_data):
    first = api_client.post(URL, with_request_id("REQ-OLD"), format="json")
    # time travel: the record was written 24 hours and a second ago
    past = timezone.now() - datetime.timedelta(hours=24, seconds=1)
    IdempotencyRecord.objects.update(created_at=past, expires_at=past + datetime.timedelta(hours=24))

    second = api_client.post(URL, with_request_id("REQ-OLD"), format="json")

    assert second.status_code == 201
    assert not second.has_header("Idempotent-Replayed")
    assert second.json()["ticketNumber"] != first.json()["ticketNumber"]
    assert Ticket.objects.count() == 2


def test_a_failed_request_keeps_nothing_and_may_be_retried_with_the_same_id(api_client, reference_data):
    invalid = with_request_id("REQ-FIX", channel="FAX")

    refused = api_client.post(URL, invalid, format="json")
    corrected = api_client.post(URL, with_request_id("REQ-FIX"), format="json")

    assert refused.status_code == 400
    assert corrected.status_code == 201
    assert Ticket.objects.count() == 1
    assert IdempotencyRecord.objects.get().status_code == 201


def test_idempotency_key_header_protects_a_create_without_request_id(api_client, reference_data):
    first = api_client.post(URL, minimal_body(), format="json", HTTP_IDEMPOTENCY_KEY="key-123")
    second = api_client.post(URL, minimal_body(), format="json", HTTP_IDEMPOTENCY_KEY="key-123")
    other = api_client.post(URL, minimal_body(), format="json", HTTP_IDEMPOTENCY_KEY="key-456")

    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert other.json()["ticketNumber"] != first.json()["ticketNumber"]
    assert Ticket.objects.count() == 2


def test_idempotency_key_header_on_patch_adds_one_comment(api_client, reference_data, partner):
    ticket = TicketFactory(partner=partner)
    body = {"action": "ADD_COMMENT", "comment": "Sent twice by a retrying gateway"}

    first = api_client.patch(f"{URL}/{ticket.number}", body, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    second = api_client.patch(f"{URL}/{ticket.number}", body, format="json", HTTP_IDEMPOTENCY_KEY="c-1")

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Comment.objects.filter(ticket=ticket).count() == 1


def test_same_idempotency_key_on_another_ticket_is_a_409(api_client, reference_data, partner):
    first, second = TicketFactory.create_batch(2, partner=partner)
    body = {"action": "ADD_COMMENT", "comment": "Hello"}
    api_client.patch(f"{URL}/{first.number}", body, format="json", HTTP_IDEMPOTENCY_KEY="c-2")

    response = api_client.patch(f"{URL}/{second.number}", body, format="json", HTTP_IDEMPOTENCY_KEY="c-2")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert Comment.objects.filter(ticket=second).count() == 0


def test_malformed_idempotency_key_is_a_validation_error(api_client, reference_data):
    response = api_client.post(URL, minimal_body(), format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)

    assert response.status_code == 400
    assert response.json()["errors"] == {"Idempotency-Key": "Must be 1 to 255 printable ASCII characters."}
    assert Ticket.objects.count() == 0


def test_purge_removes_only_expired_records(api_client, reference_data):
    api_client.post(URL, with_request_id("REQ-KEEP"), format="json")
    api_client.post(URL, with_request_id("REQ-DROP"), format="json")
    IdempotencyRecord.objects.filter(key="requestId:REQ-DROP").update(expires_at=timezone.now())

    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)

    assert out.getvalue().strip() == "Deleted 1 expired idempotency record(s)."
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["requestId:REQ-KEEP"]
    IdempotencyRecord.objects.update(expires_at=timezone.now())
    assert purge_idempotency_records() == 1
    assert IdempotencyRecord.objects.count() == 0


def test_a_request_id_that_cannot_be_a_key_is_a_validation_error_not_a_key(api_client, reference_data):
    # NUL cannot be stored by PostgreSQL; the id must be refused by validation, never reach the key table
    response = api_client.post(URL, with_request_id("REQ\x00NUL"), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["integration.requestId"]
    assert IdempotencyRecord.objects.count() == 0
