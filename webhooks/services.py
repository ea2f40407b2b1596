"""What operators do to deliveries (the admin and the commands both call these)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from webhooks.models import Delivery, DeliveryStatus
from webhooks.outbox import send_task


@transaction.atomic
def redeliver(*, deliveries, now: datetime | None = None) -> list[int]:
    """Send these deliveries again, with the same event id and body, and a fresh retry
    window. A delivery that is already pending keeps its place; the rest are queued."""
    now = now or timezone.now()
    ids = list(deliveries.exclude(status=DeliveryStatus.PENDING).select_for_update().values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        retry_until=now + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS),
        leased_until=None,
    )
    transaction.on_commit(lambda: [send_task(delivery_id) for delivery_id in ids])
    return ids
