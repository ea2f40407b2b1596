"""The outbox when the Celery broker is down at commit: the partner API still answers,
the delivery row is kept, and once the broker is back the sweep sends the event, once.

The broker is a real, unreachable Redis URL (a port nothing listens on), set on this
process's Celery app only; a worker started later gets the real broker."""

import contextlib
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from config.celery import app
from tests.celery_worker import purge_queue, running_worker
from tests.live_server import needs_real_services
from tests.payloads import create_body
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_end_to_end import FAST, all_delivered, free_port, wait_until
from webhooks.models import Delivery, DeliveryStatus
from webhooks.tasks import deliver_webhook, dispatch_due_deliveries

URL = "/api/omnichannel/tickets"


def _use_broker(url: str) -> None:
    app.conf.broker_url = url
    # The connection and producer pools were made for the broker of the first send; drop
    # them (as Celery does after a fork) so that the next send connects to `url`.
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_unreachable():
    real_broker = app.conf.broker_url
    _use_broker(f"redis://127.0.0.1:{free_port()}/0")
    try:
        yield
    finally:
        _use_broker(real_broker)


def create_ticket_while_the_broker_is_down(api_client, webhook_url: str, caplog) -> Delivery:
    body = create_body()
    body["integration"] = {**body["integration"], "webhookUrl": webhook_url}
    with broker_unreachable(), caplog.at_level(logging.WARNING, logger="webhooks.outbox"):
        response = api_client.post(URL, body, format="json")  # commits, then tries to send

    assert response.status_code == 201, response.json()
    delivery = Delivery.objects.get()
    assert delivery.ticket.number == response.json()["ticketNumber"]
    assert (delivery.event, delivery.status, delivery.attempt_count) == ("TICKET_CREATED", "PENDING", 0)
    assert [record.getMessage() for record in caplog.records if record.name == "webhooks.outbox"] == [
        f"webhook delivery {delivery.pk} not queued (broker unreachable); the sweep will send it"
    ]
    return delivery


def a_sweep_period_later(delivery: Delivery) -> None:
    """The sweep leaves a delivery that just became due to the task sent for it for one
    period; move the delivery's due time back by more than that."""
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=settings.WEBHOOK_SWEEP_SECONDS + 1)
    )


def test_a_ticket_created_while_the_broker_is_down_is_answered_and_later_sent_by_the_sweep_once(
    transactional_db, api_client, reference_data, caplog
):
    with Receiver() as receiver:
        # given a ticket created while the broker cannot be reached
        delivery = create_ticket_while_the_broker_is_down(api_client, receiver.url, caplog)
        assert receiver.arrived == 0

        # when the broker is back and the sweep runs, it queues the delivery; the worker
        # that takes the task runs it (here, in this process)
        a_sweep_period_later(delivery)
        assert dispatch_due_deliveries() == 1
        deliver_webhook(delivery.pk)

        # then the receiver has the event, once, and nothing sends it again
        assert dispatch_due_deliveries() == 0
        deliver_webhook(delivery.pk)  # a duplicate of the task changes nothing
        assert len(receiver.received) == 1
        assert receiver.arrived == 1

    assert receiver.received[0].headers["webhook-id"] == delivery.event_id
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.DELIVERED, 1)
    assert list(delivery.attempts.values_list("number", "status_code")) == [(1, 200)]


@needs_real_services
def test_a_ticket_created_while_the_broker_is_down_reaches_the_receiver_once_the_broker_is_back(
    transactional_db, api_client, reference_data, caplog
):
    with Receiver() as receiver:
        delivery = create_ticket_while_the_broker_is_down(api_client, receiver.url, caplog)
        purge_queue()  # whatever earlier tests left; the broker is back for this process

        # A real worker with beat on the real broker: only the sweep can send the event.
        with running_worker(FAST, beat=True):
            receiver.wait_for(1)
            wait_until(all_delivered(1), what="the delivery recorded as delivered")
            # Sweeps keep running every second; none of them may send the event again.
            time.sleep(3)

    assert len(receiver.received) == 1
    assert receiver.received[0].headers["webhook-id"] == delivery.event_id
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.DELIVERED, 1)
    assert list(delivery.attempts.values_list("number", "status_code")) == [(1, 200)]
