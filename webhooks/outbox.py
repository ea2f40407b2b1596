"""The outbox: a delivery row written in the transaction of the ticket change that
raised the event, and a Celery task sent once that transaction has committed.

A change that rolls back leaves no row and sends nothing. A task that cannot be sent
(broker down at commit) loses nothing either: the row is there, and the periodic sweep
(webhooks.tasks.dispatch_due_deliveries) sends it."""

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from webhooks import payloads
from webhooks.models import Delivery, EventType

logger = logging.getLogger(__name__)


def _event_id() -> str:
    return "evt_" + secrets.token_urlsafe(16)


def enqueue(*, ticket, event: str, data: dict, at: datetime) -> Delivery | None:
    """Record `event` for the ticket's webhook target, if it has one.

    Call inside the transaction of the change, with the ticket row locked (tickets.services
    does): that lock is what keeps `sequence` gapless and in commit order per ticket."""
    url = ticket.webhook_url or ticket.partner.webhook_url
    if not url:
        return None
    if event == EventType.TICKET_CREATED:
        last = 0  # a ticket's first event: nothing to look up
    else:
        last = Delivery.objects.filter(ticket=ticket).aggregate(last=Max("sequence"))["last"] or 0
    event_id = _event_id()
    delivery = Delivery.objects.create(
        event_id=event_id,
        ticket=ticket,
        partner_id=ticket.partner_id,
        event=event,
        sequence=last + 1,
        url=url,
        body=payloads.render(event_id=event_id, event=event, sequence=last + 1, ticket=ticket, at=at, data=data),
        next_attempt_at=at,
        retry_until=at + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS),
        created_at=at,
    )
    transaction.on_commit(lambda: send_task(delivery.pk))
    return delivery


def send_task(delivery_id: int, *, countdown: float | None = None) -> bool:
    """Queue a delivery attempt. Never raises: a delivery that could not be queued is
    picked up by the sweep, and the change that raised it has already been answered."""
    from webhooks.tasks import deliver_webhook

    try:
        deliver_webhook.apply_async((delivery_id,), countdown=countdown, retry=False)
    except Exception:  # the broker's errors vary by transport; none may reach the caller
        logger.warning("webhook delivery %s not queued (broker unreachable); the sweep will send it", delivery_id)
        return False
    return True
