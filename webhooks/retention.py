"""How long webhook history is kept, and the daily purge that enforces it.

- An attempt (one HTTP try, with the first bytes of the answer) is kept for
  WEBHOOK_ATTEMPT_RETENTION_DAYS after it started, whatever its delivery's status.
- A DELIVERED delivery (the outbox row and the body that was sent) is kept for
  WEBHOOK_DELIVERY_RETENTION_DAYS after its event; its attempts go with it. A ticket's
  latest delivery is kept whatever its age: the next event's `sequence` continues from it
  (webhooks.outbox), and a partner would drop an event whose sequence started again at 1.
- PENDING deliveries are never touched. FAILED ones are kept until their ticket is purged
  (tickets/retention.py): they are the record of what a partner never received.

Rows go in batches of BATCH_SIZE, one short transaction each, so the purge never holds
many locks or one long transaction against the workers writing attempts."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from config.batches import locked_id_batches
from webhooks.models import Attempt, Delivery, DeliveryStatus

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000


@dataclass(frozen=True)
class WebhookHistoryPurge:
    deliveries: int
    attempts: int  # all of them: those of the purged deliveries and the old ones of others
    dry_run: bool


def purgeable_deliveries(now: datetime) -> QuerySet[Delivery]:
    cutoff = now - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    later_event = Delivery.objects.filter(ticket_id=OuterRef("ticket_id"), sequence__gt=OuterRef("sequence"))
    # created_at rather than delivered_at: the (status, created_at) index answers it, and a
    # delivery is delivered within its retry window of the event, hours against months.
    return Delivery.objects.filter(status=DeliveryStatus.DELIVERED, created_at__lt=cutoff).filter(Exists(later_event))


def purgeable_attempts(now: datetime) -> QuerySet[Attempt]:
    cutoff = now - timedelta(days=settings.WEBHOOK_ATTEMPT_RETENTION_DAYS)
    return Attempt.objects.filter(started_at__lt=cutoff)


def webhook_history_purge(*, now: datetime | None = None, dry_run: bool = False) -> WebhookHistoryPurge:
    """Delete the deliveries and attempts past their retention; with `dry_run`, count them."""
    now = now or timezone.now()
    deliveries = purgeable_deliveries(now)
    attempts = purgeable_attempts(now)
    if dry_run:
        attempt_count = Attempt.objects.filter(
            Q(pk__in=attempts.values("pk")) | Q(delivery__in=deliveries.values("pk"))
        ).count()
        return WebhookHistoryPurge(deliveries=deliveries.count(), attempts=attempt_count, dry_run=True)

    deleted_deliveries = deleted_attempts = 0
    # Each batch is locked so that an admin's redelivery (which sets the row back to
    # PENDING under the same lock, webhooks.services.redeliver) either happens first and
    # takes the row out of this batch, or waits and finds it gone.
    for ids in locked_id_batches(deliveries, BATCH_SIZE):
        # only("pk"): the delete reads the rows to cascade to their attempts, not their bodies.
        _, per_model = Delivery.objects.filter(pk__in=ids).only("pk").delete()
        deleted_deliveries += per_model.get(Delivery._meta.label, 0)
        deleted_attempts += per_model.get(Attempt._meta.label, 0)

    # By primary key (attempts are written in time order): each batch starts where the
    # last one stopped rather than scanning from the start of the table again.
    for ids in locked_id_batches(attempts, BATCH_SIZE):
        deleted, _ = Attempt.objects.filter(pk__in=ids).delete()
        deleted_attempts += deleted

    if deleted_deliveries or deleted_attempts:
        logger.info(
            "webhook history purged: %s delivered deliveries, %s attempts", deleted_deliveries, deleted_attempts
        )
    return WebhookHistoryPurge(deliveries=deleted_deliveries, attempts=deleted_attempts, dry_run=False)


@shared_task(name="webhooks.retention.purge_webhook_history", ignore_result=True)
def purge_webhook_history() -> dict:
    """Daily (CELERY_BEAT_SCHEDULE). Safe to run twice, or in two workers at once: the
    second finds nothing left, or waits on the first's locked batch and then skips it."""
    purged = webhook_history_purge()
    return {"deliveries": purged.deliveries, "attempts": purged.attempts}
