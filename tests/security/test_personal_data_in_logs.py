"""Customers' personal data stays out of the logs along a whole partner journey: create,
read, batch by reference, comment, status change, a refused request and a failed webhook
delivery, with every logger at DEBUG. (The request log line's own fields:
tests/test_request_logs.py.)"""

import logging

import pytest

from tests.payloads import attachment, create_body
from tests.webhooks.receiver import Receiver, Reply
from tickets.models import Ticket
from webhooks.delivery import attempt_delivery
from webhooks.models import Delivery

URL = "/api/omnichannel/tickets"
PERSONAL = {
    "customer.name": "Zulkarnain Pratama",
    "customer.email": "zulkarnain.pratama@example.com",
    "customer.phone": "+6281299887766",
    "customer.identifier": "CIF-778899",
    "ticket.description": "Kartu saya tertelan di ATM Mall Manado",
    "comment": "Nomor rekening saya 1234567890",
    "attachments.0.filename": "ktp-zulkarnain.jpg",
}


@pytest.fixture
def receiver():
    with Receiver(default=Reply(500, b"down")) as receiver:
        yield receiver


def test_no_personal_data_is_logged_along_a_partner_journey(
    api_client, reference_data, receiver, caplog, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    caplog.set_level(logging.DEBUG)
    body = create_body(
        channelReferenceId="WA-PII-1",
        customer={
            "name": PERSONAL["customer.name"],
            "email": PERSONAL["customer.email"],
            "phone": PERSONAL["customer.phone"],
            "identifier": PERSONAL["customer.identifier"],
            "branchCode": "001",
        },
        attachments=[attachment(filename=PERSONAL["attachments.0.filename"])],
    )
    body["ticket"]["description"] = PERSONAL["ticket.description"]
    body["integration"] = {"webhookUrl": receiver.url}

    created = api_client.post(URL, body, format="json")
    number = created.json()["ticketNumber"]
    answers = [
        created,
        api_client.get(f"{URL}/{number}"),
        api_client.get(URL, {"channelReferenceId": "WA-PII-1"}),
        api_client.patch(f"{URL}/{number}", {"action": "ADD_COMMENT", "comment": PERSONAL["comment"]}, format="json"),
        api_client.patch(f"{URL}/{number}", {"action": "UPDATE_STATUS", "status": "CANCELLED"}, format="json"),
        api_client.post(URL, {**body, "customer": {**body["customer"], "email": "zulkarnain.pratama@"}}, format="json"),
    ]
    outcome = attempt_delivery(Delivery.objects.get(ticket=Ticket.objects.get(number=number), sequence=1).pk)

    assert [answer.status_code for answer in answers] == [201, 200, 200, 200, 200, 400]
    assert outcome.attempt.status_code == 500
    assert caplog.records, "nothing was logged"
    logged = caplog.text + "".join(f"{record.msg}{record.args}" for record in caplog.records)
    assert {field: value for field, value in PERSONAL.items() if value in logged} == {}
