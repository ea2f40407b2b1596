"""The SSRF guard where it matters: a delivery never reaches a refused address, and the
API refuses what it can judge without DNS when the ticket is created.
(tests/webhooks/test_targets.py covers every address form on the pure check.)"""

import pytest

from tests.factories import TicketFactory
from tests.payloads import create_body
from tests.webhooks.receiver import Receiver, Reply
from tickets.actors import Actor
from tickets.models import Ticket
from tickets.services import ticket_change_status
from webhooks.delivery import attempt_delivery
from webhooks.models import Delivery, DeliveryStatus

URL = "/api/omnichannel/tickets"


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def private_targets_refused(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    settings.WEBHOOK_ALLOW_HTTP = True  # so that only the address decides


def delivery_for(webhook_url: str, partner, reference_data) -> Delivery:
    """A delivery to `webhook_url`, as if the URL had been accepted when it was safe (the
    partner's default URL is where a later-changed DNS answer would bite)."""
    partner.webhook_url = webhook_url
    partner.save()
    ticket = TicketFactory(partner=partner)
    ticket_change_status(ticket=ticket, to_status="IN_PROGRESS", actor=Actor.system())
    return Delivery.objects.get(ticket=ticket)


def test_a_host_name_resolving_to_127_0_0_1_is_never_contacted(
    reference_data, partner, receiver, private_targets_refused
):
    port = receiver.url.split(":")[2].split("/")[0]
    delivery = delivery_for(f"http://localhost:{port}/hooks", partner, reference_data)

    outcome = attempt_delivery(delivery.pk)

    assert outcome.status == DeliveryStatus.FAILED
    assert outcome.attempt.error == "refused target: host 'localhost' has address 127.0.0.1, which is loopback"
    assert receiver.arrived == 0


@pytest.mark.parametrize(
    ("host", "shown_as"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # decimal
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),  # IPv4-mapped IPv6
        ("[::1]", "::1"),
    ],
)
def test_a_loopback_address_in_any_form_is_never_contacted(
    reference_data, partner, receiver, private_targets_refused, host, shown_as
):
    port = receiver.url.split(":")[2].split("/")[0]
    delivery = delivery_for(f"http://{host}:{port}/hooks", partner, reference_data)

    outcome = attempt_delivery(delivery.pk)

    assert outcome.status == DeliveryStatus.FAILED
    assert outcome.attempt.error.startswith("refused target: host ")
    assert shown_as in outcome.attempt.error
    assert receiver.arrived == 0


def test_a_redirect_to_the_metadata_address_is_not_followed(reference_data, partner, receiver, settings):
    # The receiver itself is on 127.0.0.1, so private targets are allowed here; what is
    # checked is that its redirect is not followed (no request leaves for 169.254.169.254).
    receiver.reply_with(Reply(307, b"", {"Location": "http://169.254.169.254/latest/meta-data/iam/"}))
    delivery = delivery_for(receiver.url, partner, reference_data)

    outcome = attempt_delivery(delivery.pk)

    assert outcome.status == DeliveryStatus.FAILED
    assert outcome.attempt.status_code == 307
    assert outcome.attempt.error == "redirect to http://169.254.169.254/latest/meta-data/iam/ not followed"
    assert receiver.arrived == 1


@pytest.mark.parametrize(
    ("webhook_url", "reason"),
    [
        ("https://169.254.169.254/latest/meta-data/", "the cloud metadata address"),
        ("https://10.0.0.5/hook", "private"),
        # Django's URL check already refuses these forms of 127.0.0.1.
        ("https://2130706433/hook", "Enter a valid URL."),
        ("https://0x7f.1/hook", "Enter a valid URL."),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://user:secret@example.com/hook", "credentials"),
        ("http://example.com/hook", "use https"),
        ("ftp://example.com/hook", "not allowed"),
    ],
)
def test_create_refuses_a_webhook_url_that_can_never_be_delivered_to(
    api_client, reference_data, settings, webhook_url, reason
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    settings.WEBHOOK_ALLOW_HTTP = False
    body = create_body()
    body["integration"]["webhookUrl"] = webhook_url

    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    payload = response.json()
    assert payload["success"] is False
    assert list(payload["errors"]) == ["integration.webhookUrl"]
    assert reason in payload["errors"]["integration.webhookUrl"]
    assert Ticket.objects.count() == 0
