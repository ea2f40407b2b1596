import datetime
import hashlib
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.payloads import JPEG_BYTES, attachment, create_body, minimal_body
from tickets.models import Attachment, Customer, EventKind, Ticket, TicketEvent
from tickets.tracking import tracking_token

URL = "/api/omnichannel/tickets"


def test_spec_create_example_answers_the_spec_success_body(api_client, reference_data):
    # when
    response = api_client.post(URL, create_body(), format="json")

    # then
    assert response.status_code == 201
    body = response.json()
    year = timezone.localtime().year
    assert set(body) == {
        "success", "ticketNumber", "ticketId", "status", "estimatedResolution", "trackingUrl", "message", "metadata",
    }  # fmt: skip
    assert body["success"] is True
    assert body["ticketNumber"] == f"INC-{year}-0001"
    assert body["status"] == "OPEN"
    assert body["message"] == "Ticket created successfully"
    assert body["metadata"]["assignedTo"] == "Support Team"
    assert body["metadata"]["supportGroup"] == "Transaction Claims Support"
    assert body["metadata"]["slaHours"] == 4  # HIGH: 4 h resolution
    ticket = Ticket.objects.get()
    assert body["ticketId"] == ticket.public_id
    assert body["ticketId"] != str(ticket.pk)
    assert body["estimatedResolution"] == ticket.resolution_deadline.astimezone(datetime.UTC).isoformat().replace(
        "+00:00", "Z"
    )
    token = tracking_token(number=ticket.number, public_id=ticket.public_id)
    assert body["trackingUrl"] == f"http://127.0.0.1:8000/track/{ticket.number}/{token}/"
    assert body["metadata"]["createdAt"].endswith("Z")


def test_create_stores_the_ticket_as_sent(api_client, reference_data, partner, api_key):
    api_client.post(URL, create_body(), format="json")

    ticket = Ticket.objects.select_related("service", "customer", "branch").get()
    assert ticket.partner == partner
    assert ticket.api_key == api_key
    assert ticket.channel == "WHATSAPP"
    assert ticket.channel_reference_id == "WA-2024-001-XYZ"
    assert ticket.service.service_type == "CLAIM"
    assert ticket.priority == "HIGH"
    assert ticket.requested_priority == "HIGH"
    assert ticket.amount == Decimal("500000")
    assert ticket.amount_currency == "IDR"
    assert ticket.metadata["claimAmount"] == "500000.00"  # exact, as a string: never a float
    assert ticket.metadata["customFields"] == {"retentionTime": "10:30 AM", "witnessPresent": "Yes"}
    assert ticket.webhook_url == "https://yourservice.com/webhook/ticket-updates"
    assert ticket.request_id == "REQ-2024-001-UNIQUE"
    assert ticket.branch.code == "001"
    assert ticket.customer.identifier == "CIF123456"
    assert ticket.customer.phone == "+6281234567890"
    assert ticket.resolution_deadline - ticket.created_at == timezone.timedelta(hours=4)
    assert ticket.response_deadline - ticket.created_at == timezone.timedelta(hours=1)


def test_create_records_one_created_event(api_client, reference_data, partner):
    api_client.post(URL, create_body(), format="json")

    event = TicketEvent.objects.get()
    assert event.kind == EventKind.CREATED
    assert event.actor_partner == partner
    assert event.to_value == "OPEN"
    assert event.data == {"priority": "HIGH", "channel": "WHATSAPP", "serviceType": "CLAIM"}


def test_create_stores_attachments_under_a_random_name_with_their_hash(api_client, reference_data):
    body = create_body(attachments=[attachment(JPEG_BYTES, filename="../../etc/receipt.jpg")])

    api_client.post(URL, body, format="json")

    stored = Attachment.objects.get()
    assert stored.filename == "receipt.jpg"
    assert stored.size == len(JPEG_BYTES)
    assert stored.mime_type == "image/jpeg"
    assert "receipt" not in stored.file.name
    assert stored.file.name.startswith("attachments/")
    with stored.file.open("rb") as handle:
        assert handle.read() == JPEG_BYTES
    assert stored.sha256 == hashlib.sha256(JPEG_BYTES).hexdigest()


def test_numbers_increase_per_ticket(api_client, reference_data):
    numbers = [api_client.post(URL, minimal_body(), format="json").json()["ticketNumber"] for _ in range(3)]

    year = timezone.localtime().year
    assert numbers == [f"INC-{year}-0001", f"INC-{year}-0002", f"INC-{year}-0003"]


def test_customer_is_linked_by_identifier_and_updated_from_later_tickets(api_client, reference_data):
    first = minimal_body(customer={"name": "Budi", "identifier": "CIF-9", "email": "old@example.com"})
    second = minimal_body(customer={"name": "Budi Santoso", "identifier": "CIF-9", "phone": "+6281111111111"})

    api_client.post(URL, first, format="json")
    api_client.post(URL, second, format="json")

    customer = Customer.objects.get(identifier="CIF-9")
    assert Ticket.objects.filter(customer=customer).count() == 2
    assert customer.name == "Budi Santoso"
    assert customer.email == "old@example.com"  # not sent the second time: kept
    assert customer.phone == "+6281111111111"


def test_customers_without_identifier_are_not_merged(api_client, reference_data):
    api_client.post(URL, minimal_body(customer={"name": "Ani"}), format="json")
    api_client.post(URL, minimal_body(customer={"name": "Ani"}), format="json")

    assert Customer.objects.filter(name="Ani").count() == 2


@pytest.mark.parametrize(
    ("service_type", "metadata", "requested", "expected_priority", "expected_sla_hours"),
    [
        ("CLAIM", {"claimType": "X", "claimAmount": 9_999_999}, None, "LOW", 72),
        ("CLAIM", {"claimType": "X", "claimAmount": 10_000_000}, None, "MEDIUM", 24),
        ("CLAIM", {"claimType": "X", "claimAmount": 50_000_000}, None, "HIGH", 4),
        ("CLAIM", {"claimType": "X", "claimAmount": 100_000_000}, None, "CRITICAL", 2),
        ("CLAIM", {"claimType": "X", "claimAmount": 9_999_999, "urgent": True}, None, "MEDIUM", 24),
        ("CLAIM", {"claimType": "X", "claimAmount": 50_000_000, "escalated": True}, None, "CRITICAL", 2),
        ("CLAIM", {"claimType": "X", "claimAmount": 1_000, "claimCurrency": "USD"}, None, "MEDIUM", 24),
        ("DISPUTE", {"transactionId": "T1", "disputeAmount": "60000000"}, "LOW", "HIGH", 4),
        ("ATM_ISSUE", {"atmId": "ATM-TEST-001"}, "LOW", "HIGH", 4),
        ("ACCOUNT_ISSUE", {"urgent": True}, None, "CRITICAL", 2),
        ("INQUIRY", {}, None, "MEDIUM", 24),
        ("INQUIRY", {}, "LOW", "LOW", 72),
    ],
)
def test_priority_and_sla_follow_the_rules(
    api_client, reference_data, service_type, metadata, requested, expected_priority, expected_sla_hours
):
    ticket = {"title": "T", "description": "D", "metadata": metadata}
    if requested:
        ticket["priority"] = requested
    customer = {"name": "Rina", "email": "rina@example.com", "identifier": "TEST-CIF-001"}

    response = api_client.post(URL, minimal_body(service_type, customer=customer, ticket=ticket), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["metadata"]["slaHours"] == expected_sla_hours
    assert Ticket.objects.get().priority == expected_priority


def test_create_without_optional_parts_works(api_client, reference_data):
    response = api_client.post(URL, minimal_body(), format="json")

    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.channel_reference_id == ""
    assert ticket.branch is None
    assert Attachment.objects.count() == 0


def test_create_answers_the_same_with_a_trailing_slash(api_client, reference_data):
    response = api_client.post(URL + "/", minimal_body(), format="json")

    assert response.status_code == 201


def test_create_before_reference_data_is_loaded_is_a_503_in_the_envelope(api_client):
    response = api_client.post(URL, minimal_body(), format="json")

    assert response.status_code == 503
    assert response.json() == {
        "success": False,
        "error": "Service type INQUIRY is not configured on this desk yet; try again later.",
        "code": "service_not_configured",
        "errors": {},
    }
    assert Ticket.objects.count() == 0


def test_create_query_count_is_bounded(api_client, reference_data, django_assert_max_num_queries):
    api_client.post(URL, minimal_body(), format="json")  # the year's first number takes a longer path

    # 15 for the ticket, its customer, event and idempotency record; 1 for the webhook's
    # outbox row; 1 for auto-assignment's least-loaded agent.
    with django_assert_max_num_queries(17):
        response = api_client.post(URL, create_body(), format="json")

    assert response.status_code == 201


def test_a_returning_customers_language_is_kept_when_a_later_ticket_does_not_send_it(api_client, reference_data):
    first = minimal_body(customer={"name": "Budi", "identifier": "CIF-10", "preferredLanguage": "en"})
    second = minimal_body(customer={"name": "Budi", "identifier": "CIF-10"})

    api_client.post(URL, first, format="json")
    api_client.post(URL, second, format="json")

    assert list(Ticket.objects.order_by("pk").values_list("preferred_language", flat=True)) == ["en", "en"]
    assert Customer.objects.get(identifier="CIF-10").preferred_language == "en"
