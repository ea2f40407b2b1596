"""Webhooks end to end: changes committed by this process, a real Celery worker on Redis
delivering them, and a real HTTP receiver on 127.0.0.1. PostgreSQL and Redis only (the
worker and this process share the database)."""

import base64
import hashlib
import hmac
import json
import socket
import time

import pytest
from django.db import transaction
from standardwebhooks.webhooks import Webhook

from tests.celery_worker import purge_queue, running_worker
from tests.factories import UserFactory
from tests.live_server import needs_real_services
from tests.payloads import create_body
from tests.webhooks.receiver import Receiver, Reply
from tickets.actors import Actor
from tickets.models import Ticket, TicketStatus
from tickets.services import comment_add, ticket_change_status
from webhooks.models import Attempt, Delivery, DeliveryStatus

pytestmark = needs_real_services

URL = "/api/omnichannel/tickets"
# Short waits so that retries, leases and the sweep play out within seconds.
FAST = {
    "WEBHOOK_RETRY_BASE_SECONDS": "0.5",
    "WEBHOOK_RETRY_MAX_DELAY_SECONDS": "1",
    "WEBHOOK_CONNECT_TIMEOUT": "1",
    "WEBHOOK_READ_TIMEOUT": "2",
    "WEBHOOK_LEASE_SECONDS": "4",
    "WEBHOOK_SWEEP_SECONDS": "1",
}


@pytest.fixture(autouse=True)
def _empty_queue(transactional_db):
    purge_queue()


def create_ticket(api_client, webhook_url: str, reference: str = "WA-E2E-1") -> Ticket:
    body = create_body(channelReferenceId=reference)
    body["integration"] = {**body["integration"], "webhookUrl": webhook_url, "requestId": reference}
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return Ticket.objects.get(number=response.json()["ticketNumber"])


def wait_until(condition, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def all_delivered(count: int):
    return lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == count


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_each_of_the_five_events_arrives_once_signed_as_the_docs_say(api_client, reference_data, partner):
    agent = Actor.for_agent(UserFactory(first_name="Jane", last_name="Tech"))
    with Receiver() as receiver, running_worker(FAST):
        ticket = create_ticket(api_client, receiver.url)
        ticket_change_status(ticket=ticket, to_status=TicketStatus.IN_PROGRESS, actor=agent, reason="Assigned")
        comment_add(ticket=ticket, body="Internal: check the ATM journal", actor=agent, internal=True)
        comment_add(ticket=ticket, body="Your card is at the branch.", actor=agent)
        ticket_change_status(ticket=ticket, to_status=TicketStatus.RESOLVED, actor=agent, reason="Card returned")
        ticket_change_status(ticket=ticket, to_status=TicketStatus.CLOSED, actor=Actor.for_partner(partner))

        received = receiver.wait_for(5)
        wait_until(all_delivered(5), what="five deliveries recorded")

    bodies = [json.loads(request.body) for request in received]
    assert [(b["sequence"], b["event"]) for b in bodies] == [
        (1, "TICKET_CREATED"),
        (2, "STATUS_CHANGED"),
        (3, "COMMENT_ADDED"),
        (4, "TICKET_RESOLVED"),
        (5, "TICKET_CLOSED"),
    ]
    assert {b["ticketNumber"] for b in bodies} == {ticket.number}
    assert {b["channelReferenceId"] for b in bodies} == {"WA-E2E-1"}
    assert bodies[2]["data"]["comment"] == "Your card is at the branch."
    assert bodies[3]["data"] == {"oldStatus": "IN_PROGRESS", "newStatus": "RESOLVED", "comment": "Card returned"}
    key = base64.b64decode(partner.webhook_secret.removeprefix("whsec_"))
    for request, body in zip(received, bodies, strict=True):
        assert set(body) == {
            "eventId", "event", "sequence", "ticketNumber", "ticketId", "channelReferenceId", "timestamp", "data",
        }  # fmt: skip
        assert Webhook(partner.webhook_secret).verify(request.body, request.headers) == body
        signature = "sha256=" + hmac.new(key, request.body, hashlib.sha256).hexdigest()
        assert request.headers["x-webhook-signature"] == signature
    assert len({b["eventId"] for b in bodies}) == 5
    assert Attempt.objects.count() == 5


def test_a_receiver_failing_three_times_gets_the_event_on_the_fourth_attempt(api_client, reference_data):
    with Receiver() as receiver, running_worker(FAST):
        receiver.reply_with(Reply(500, b"oops"), Reply(500, b"oops"), Reply(500, b"oops"))
        ticket = create_ticket(api_client, receiver.url)

        receiver.wait_for(4)
        wait_until(all_delivered(1), what="the delivery recorded as delivered")

    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.attempt_count == 4
    assert list(delivery.attempts.values_list("number", "status_code")) == [(1, 500), (2, 500), (3, 500), (4, 200)]
    assert {request.headers["webhook-id"] for request in receiver.received} == {delivery.event_id}


def test_a_receiver_down_for_a_while_gets_every_event_in_order_once_it_is_back(api_client, reference_data):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/servicedesk"
    agent = Actor.for_agent(UserFactory())
    with running_worker(FAST, beat=True):
        tickets = [create_ticket(api_client, url, reference=f"WA-DOWN-{n}") for n in range(3)]
        for ticket in tickets:
            ticket_change_status(ticket=ticket, to_status=TicketStatus.IN_PROGRESS, actor=agent)
            comment_add(ticket=ticket, body="We are on it.", actor=agent)
        # Nothing listens on the port: every first event is tried and fails, the rest wait.
        wait_until(lambda: Attempt.objects.count() >= 6, what="failed attempts while the receiver is down")
        assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 0

        with Receiver(port=port) as receiver:
            receiver.wait_for(9)
            wait_until(all_delivered(9), what="nine deliveries recorded")

    assert len(receiver.received) == 9
    by_ticket: dict[str, list[int]] = {}
    for request in receiver.received:
        body = json.loads(request.body)
        by_ticket.setdefault(body["ticketNumber"], []).append(body["sequence"])
    assert by_ticket == {ticket.number: [1, 2, 3] for ticket in tickets}


def test_a_worker_killed_mid_delivery_loses_nothing(api_client, reference_data):
    with Receiver() as receiver:
        receiver.hold()
        with running_worker(FAST) as worker:
            ticket = create_ticket(api_client, receiver.url)
            receiver.wait_for_arrival(1)  # the worker is inside the attempt, waiting for the answer
            worker.kill()
        receiver.release()  # the first request's answer goes to a dead socket

        # A new worker with beat: the lease runs out and the sweep hands the delivery on.
        with running_worker(FAST, beat=True):
            receiver.wait_for(2)
            wait_until(all_delivered(1), what="the delivery recorded as delivered")

    delivery = Delivery.objects.get(ticket=ticket)
    # The killed attempt is counted but, cut off, left no record; the second one did.
    assert delivery.attempt_count == 2
    assert list(delivery.attempts.values_list("number", "status_code")) == [(2, 200)]
    assert [request.headers["webhook-id"] for request in receiver.received] == [delivery.event_id] * 2


def test_a_change_that_rolls_back_sends_nothing(api_client, reference_data):
    agent = Actor.for_agent(UserFactory())
    with Receiver() as receiver, running_worker(FAST):
        ticket = create_ticket(api_client, receiver.url)
        with pytest.raises(RuntimeError), transaction.atomic():
            ticket_change_status(ticket=ticket, to_status=TicketStatus.RESOLVED, actor=agent)
            raise RuntimeError("the caller fails after the change")
        ticket_change_status(ticket=ticket, to_status=TicketStatus.IN_PROGRESS, actor=agent)

        # Events of a ticket arrive in order, so once the later change has arrived, a
        # rolled-back one would have arrived before it.
        received = receiver.wait_for(2)
        wait_until(all_delivered(2), what="two deliveries recorded")

    assert [json.loads(request.body)["event"] for request in received] == ["TICKET_CREATED", "STATUS_CHANGED"]
    assert list(Delivery.objects.order_by("sequence").values_list("event", flat=True)) == [
        "TICKET_CREATED",
        "STATUS_CHANGED",
    ]


def test_creating_a_ticket_never_waits_on_its_delivery(api_client, reference_data):
    with Receiver() as receiver, running_worker(FAST):
        receiver.hold()

        ticket = create_ticket(api_client, receiver.url)  # answered 201 (asserted inside)

        receiver.wait_for_arrival(1)  # the delivery is under way and held by the receiver
        assert receiver.received == []
        assert Delivery.objects.get(ticket=ticket).status == DeliveryStatus.PENDING
        receiver.release()
        receiver.wait_for(1)
        wait_until(all_delivered(1), what="the delivery recorded as delivered")


def test_a_task_lost_by_the_broker_is_sent_by_the_sweep(api_client, reference_data):
    with Receiver() as receiver:
        ticket = create_ticket(api_client, receiver.url)  # no worker runs: the task waits in Redis
        purge_queue()  # and is lost, as with a broker that was down at commit

        with running_worker(FAST, beat=True):
            receiver.wait_for(1)
            wait_until(all_delivered(1), what="the delivery recorded as delivered")

    assert json.loads(receiver.received[0].body)["ticketNumber"] == ticket.number
