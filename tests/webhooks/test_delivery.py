"""Delivery attempts in this process against a real HTTP receiver on 127.0.0.1: what is
sent, how it is signed, what each answer leads to, and what is kept."""

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from tests.factories import UserFactory
from tests.payloads import create_body
from tests.webhooks.receiver import Receiver, Reply
from tickets.actors import Actor
from tickets.models import Ticket, TicketStatus
from tickets.services import comment_add, ticket_change_status
from webhooks.delivery import attempt_delivery
from webhooks.models import Attempt, Delivery, DeliveryStatus

URL = "/api/omnichannel/tickets"


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


def create_ticket(api_client, webhook_url: str, **integration) -> Ticket:
    body = create_body()
    body["integration"] = {**body["integration"], "webhookUrl": webhook_url, **integration}
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return Ticket.objects.get(number=response.json()["ticketNumber"])


def make_due(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_created_ticket_is_delivered_with_the_spec_body_and_both_signatures(
    api_client, reference_data, partner, receiver
):
    ticket = create_ticket(api_client, receiver.url)
    delivery = Delivery.objects.get(ticket=ticket)

    outcome = attempt_delivery(delivery.pk)

    assert outcome.status == DeliveryStatus.DELIVERED
    (request,) = receiver.received
    assert request.path == "/hooks/servicedesk"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "BankSulutGo-ServiceDesk-Webhooks/1.0"
    body = json.loads(request.body)
    assert body == {
        "eventId": delivery.event_id,
        "event": "TICKET_CREATED",
        "sequence": 1,
        "ticketNumber": ticket.number,
        "ticketId": ticket.public_id,
        "channelReferenceId": "WA-2024-001-XYZ",
        "timestamp": ticket.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": {
            "status": "OPEN",
            "priority": ticket.priority,
            "serviceType": "CLAIM",
            "supportGroup": ticket.support_group.name,
            "estimatedResolution": ticket.resolution_deadline.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }
    # Independent checks: a plain HMAC over the body, and the standardwebhooks package.
    key = base64.b64decode(partner.webhook_secret.removeprefix("whsec_"))
    expected = "sha256=" + hmac.new(key, request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-webhook-signature"] == expected
    assert request.headers["webhook-id"] == delivery.event_id
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    assert Webhook(partner.webhook_secret).verify(request.body, request.headers) == body

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == ("DELIVERED", 1, 200)
    assert delivery.delivered_at is not None and delivery.leased_until is None
    (attempt,) = delivery.attempts.all()
    assert (attempt.number, attempt.status_code, attempt.error, attempt.response_excerpt) == (1, 200, "", "ok")


def test_the_tickets_webhook_url_wins_over_the_partners_default(api_client, reference_data, partner, receiver):
    partner.webhook_url = "https://partner-default.example/hooks"
    partner.save()

    ticket = create_ticket(api_client, receiver.url)

    assert Delivery.objects.get(ticket=ticket).url == receiver.url


def test_without_any_webhook_url_nothing_is_recorded(api_client, reference_data, partner):
    body = create_body()
    del body["integration"]["webhookUrl"]

    api_client.post(URL, body, format="json")

    assert Delivery.objects.count() == 0


def test_the_partners_default_url_is_used_when_the_ticket_has_none(api_client, reference_data, partner, receiver):
    partner.webhook_url = receiver.url
    partner.save()
    body = create_body()
    del body["integration"]["webhookUrl"]

    api_client.post(URL, body, format="json")

    assert Delivery.objects.get().url == receiver.url


def test_each_change_raises_its_event_in_sequence(api_client, reference_data, partner, receiver):
    ticket = create_ticket(api_client, receiver.url)
    agent = Actor.for_agent(UserFactory(first_name="Jane", last_name="Tech"))

    ticket_change_status(ticket=ticket, to_status=TicketStatus.IN_PROGRESS, actor=agent, reason="Assigned")
    comment_add(ticket=ticket, body="We are checking the ATM log.", actor=agent)
    comment_add(ticket=ticket, body="Internal: call the branch", actor=agent, internal=True)
    comment_add(ticket=ticket, body="The customer adds a photo", actor=Actor.for_partner(partner))
    ticket_change_status(ticket=ticket, to_status=TicketStatus.RESOLVED, actor=agent, reason="Card returned")
    ticket_change_status(ticket=ticket, to_status=TicketStatus.CLOSED, actor=Actor.for_partner(partner))

    deliveries = list(Delivery.objects.filter(ticket=ticket).order_by("sequence"))
    assert [(d.sequence, d.event) for d in deliveries] == [
        (1, "TICKET_CREATED"),
        (2, "STATUS_CHANGED"),
        (3, "COMMENT_ADDED"),
        (4, "TICKET_RESOLVED"),
        (5, "TICKET_CLOSED"),
    ]
    bodies = [json.loads(d.body) for d in deliveries]
    assert bodies[1]["data"] == {"oldStatus": "OPEN", "newStatus": "IN_PROGRESS", "comment": "Assigned"}
    comment = ticket.comments.get(body="We are checking the ATM log.")
    assert bodies[2]["data"] == {
        "commentId": str(comment.public_id),
        "comment": "We are checking the ATM log.",
        "author": "Jane Tech",
        "createdAt": comment.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert bodies[3]["data"] == {"oldStatus": "IN_PROGRESS", "newStatus": "RESOLVED", "comment": "Card returned"}
    assert bodies[4]["data"] == {"oldStatus": "RESOLVED", "newStatus": "CLOSED", "comment": ""}

    for delivery in deliveries:
        assert attempt_delivery(delivery.pk).status == DeliveryStatus.DELIVERED
    assert [json.loads(r.body)["sequence"] for r in receiver.received] == [1, 2, 3, 4, 5]


def test_a_change_that_rolls_back_records_no_delivery(api_client, reference_data, receiver):
    ticket = create_ticket(api_client, receiver.url)
    agent = Actor.for_agent(UserFactory())

    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_change_status(ticket=ticket, to_status=TicketStatus.IN_PROGRESS, actor=agent)
        raise RuntimeError("the caller fails after the change")

    assert list(Delivery.objects.values_list("event", flat=True)) == ["TICKET_CREATED"]


def test_a_later_event_waits_while_an_earlier_one_of_its_ticket_is_pending(api_client, reference_data, receiver):
    ticket = create_ticket(api_client, receiver.url)
    ticket_change_status(ticket=ticket, to_status=TicketStatus.IN_PROGRESS, actor=Actor.system())
    first, second = Delivery.objects.filter(ticket=ticket).order_by("sequence")

    assert attempt_delivery(second.pk) is None
    assert receiver.received == []

    assert attempt_delivery(first.pk).status == DeliveryStatus.DELIVERED
    assert attempt_delivery(second.pk).status == DeliveryStatus.DELIVERED


def test_a_server_error_is_retried_later_and_every_attempt_is_kept(api_client, reference_data, receiver):
    receiver.reply_with(Reply(500, b"database down"), Reply(503, b"maintenance"))
    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))

    before = timezone.now()
    assert attempt_delivery(delivery.pk).status == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    # The first wait is 30 s, +/-20%; until then the delivery is not attempted again.
    assert before + timedelta(seconds=24) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=36)
    assert attempt_delivery(delivery.pk) is None

    make_due(delivery)
    assert attempt_delivery(delivery.pk).status == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    # The second wait doubles: 60 s, +/-20%.
    assert timezone.now() + timedelta(seconds=47) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=72)

    make_due(delivery)
    assert attempt_delivery(delivery.pk).status == DeliveryStatus.DELIVERED
    attempts = list(Attempt.objects.filter(delivery=delivery).values_list("number", "status_code", "response_excerpt"))
    assert attempts == [(1, 500, "database down"), (2, 503, "maintenance"), (3, 200, "ok")]
    assert len(receiver.received) == 3
    # Every attempt carries the same event id and body.
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery.event_id}
    assert {r.body for r in receiver.received} == {delivery.body.encode()}


def test_retry_after_is_honoured_on_429(api_client, reference_data, receiver):
    receiver.reply_with(Reply(429, b"slow down", {"Retry-After": "600"}))
    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))

    before = timezone.now()
    attempt_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert before + timedelta(seconds=600) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=601)


@pytest.mark.parametrize("status_code", [400, 401, 404, 410, 422])
def test_a_client_error_is_final(api_client, reference_data, receiver, status_code):
    receiver.reply_with(Reply(status_code, b"no"))
    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))

    assert attempt_delivery(delivery.pk).status == DeliveryStatus.FAILED

    make_due(delivery)
    assert attempt_delivery(delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == ("FAILED", 1, status_code)


def test_a_failed_event_lets_the_tickets_next_event_go(api_client, reference_data, receiver):
    receiver.reply_with(Reply(410, b"gone"))
    ticket = create_ticket(api_client, receiver.url)
    ticket_change_status(ticket=ticket, to_status=TicketStatus.IN_PROGRESS, actor=Actor.system())
    first, second = Delivery.objects.filter(ticket=ticket).order_by("sequence")

    assert attempt_delivery(first.pk).status == DeliveryStatus.FAILED
    assert attempt_delivery(second.pk).status == DeliveryStatus.DELIVERED


def test_retries_stop_at_the_end_of_the_window(api_client, reference_data, receiver):
    receiver.reply_with(Reply(502, b"bad gateway"))
    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))
    Delivery.objects.filter(pk=delivery.pk).update(retry_until=timezone.now() + timedelta(seconds=5))

    assert attempt_delivery(delivery.pk).status == DeliveryStatus.FAILED

    delivery.refresh_from_db()
    assert delivery.last_error == "retries exhausted"


def test_a_redirect_is_not_followed_and_is_final(api_client, reference_data, receiver):
    receiver.reply_with(Reply(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"}))
    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))

    assert attempt_delivery(delivery.pk).status == DeliveryStatus.FAILED

    delivery.refresh_from_db()
    assert delivery.last_error == "redirect to http://169.254.169.254/latest/meta-data/ not followed"
    assert len(receiver.received) == 1


def test_only_the_first_64_kb_of_an_answer_are_read_and_1_kb_kept(api_client, reference_data, receiver):
    receiver.reply_with(Reply(200, b"x" * (5 * 1024 * 1024)))
    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))

    assert attempt_delivery(delivery.pk).status == DeliveryStatus.DELIVERED

    assert delivery.attempts.get().response_excerpt == "x" * 1024


def test_a_receiver_that_does_not_answer_in_time_is_retried(api_client, reference_data, receiver, settings):
    settings.WEBHOOK_READ_TIMEOUT = 0.5
    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))
    receiver.hold()

    outcome = attempt_delivery(delivery.pk)

    receiver.release()
    assert outcome.status == DeliveryStatus.PENDING
    assert outcome.attempt.status_code is None
    assert "ReadTimeoutError" in outcome.attempt.error


def test_a_closed_port_is_retried(api_client, reference_data, receiver):
    ticket = create_ticket(api_client, "http://127.0.0.1:9/hooks")

    outcome = attempt_delivery(Delivery.objects.get(ticket=ticket).pk)

    assert outcome.status == DeliveryStatus.PENDING
    assert outcome.attempt.error.startswith("cannot connect to 127.0.0.1:")


def test_a_claimed_delivery_is_not_attempted_twice_until_its_lease_runs_out(api_client, reference_data, receiver):
    from webhooks.delivery import claim

    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))
    now = timezone.now()

    assert claim(delivery.pk, now) is not None
    assert claim(delivery.pk, now + timedelta(seconds=59)) is None
    # A worker killed mid-attempt never records; after the lease another may claim it.
    reclaimed = claim(delivery.pk, now + timedelta(seconds=61))
    assert reclaimed is not None and reclaimed.attempt_count == 2


def test_rotation_signs_with_both_secrets_and_the_old_one_keys_the_body_signature(
    api_client, reference_data, partner, receiver
):
    from apikeys.services import webhook_secret_rotate

    old_secret = partner.webhook_secret
    new_secret = webhook_secret_rotate(partner=partner, overlap=timedelta(hours=24))
    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))

    attempt_delivery(delivery.pk)

    (request,) = receiver.received
    assert Webhook(old_secret).verify(request.body, request.headers)["eventId"] == delivery.event_id
    assert Webhook(new_secret).verify(request.body, request.headers)["eventId"] == delivery.event_id
    old_key = base64.b64decode(old_secret.removeprefix("whsec_"))
    assert request.headers["x-webhook-signature"] == "sha256=" + hmac.new(old_key, request.body, "sha256").hexdigest()


def test_after_the_overlap_only_the_new_secret_signs(api_client, reference_data, partner, receiver):
    from apikeys.services import webhook_secret_rotate

    old_secret = partner.webhook_secret
    new_secret = webhook_secret_rotate(partner=partner, overlap=timedelta(0))
    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))

    attempt_delivery(delivery.pk)

    (request,) = receiver.received
    assert len(request.headers["webhook-signature"].split()) == 1
    assert Webhook(new_secret).verify(request.body, request.headers)["eventId"] == delivery.event_id
    with pytest.raises(Exception, match="No matching signature found"):
        Webhook(old_secret).verify(request.body, request.headers)


def test_the_partners_endpoint_is_marked_failing_from_the_first_failure_until_a_success(
    api_client, reference_data, partner, receiver
):
    receiver.reply_with(Reply(500))
    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))

    attempt_delivery(delivery.pk)
    partner.refresh_from_db()
    failing_since = partner.webhook_failing_since
    assert failing_since is not None
    assert not partner.webhook_endpoint_failing(timezone.now())
    assert partner.webhook_endpoint_failing(failing_since + timedelta(hours=24))

    make_due(delivery)
    attempt_delivery(delivery.pk)
    partner.refresh_from_db()
    assert partner.webhook_failing_since is None


def test_an_attempt_that_outlived_its_lease_does_not_overwrite_the_next_workers_record(
    api_client, reference_data, receiver
):
    from webhooks.delivery import _post, _record, claim

    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))
    now = timezone.now()
    slow = claim(delivery.pk, now)  # worker A takes it, then its receiver trickles
    answer = _post(slow, now)
    # A's lease runs out; the sweep hands the delivery to worker B, which delivers it.
    Delivery.objects.filter(pk=delivery.pk).update(leased_until=now - timedelta(seconds=1))
    assert attempt_delivery(delivery.pk).status == DeliveryStatus.DELIVERED

    _record(slow, transport_answer_500(answer), now)  # A finally gets a 500

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("DELIVERED", 200)
    assert list(delivery.attempts.values_list("number", "status_code")) == [(1, 500), (2, 200)]


def transport_answer_500(answer):
    from dataclasses import replace

    return replace(answer, status_code=500, excerpt="late")


def test_a_redelivered_event_starts_again_from_the_first_wait(api_client, reference_data, receiver):
    from webhooks.services import redeliver

    receiver.reply_with(*[Reply(503, b"down")] * 4)
    delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))
    for _ in range(3):
        make_due(delivery)
        attempt_delivery(delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    # The earlier round's attempts lie before the new window.
    delivery.attempts.update(started_at=timezone.now() - timedelta(days=2))

    redeliver(deliveries=Delivery.objects.filter(pk=delivery.pk))
    before = timezone.now()
    assert attempt_delivery(delivery.pk).status == DeliveryStatus.PENDING

    delivery.refresh_from_db()
    # 30 s +/-20% again, not the fourth wait (240 s).
    assert before + timedelta(seconds=24) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=36)
    assert delivery.attempt_count == 4
