"""Celery tasks. Both are safe to run twice: webhooks.delivery decides what is due."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from webhooks.delivery import attempt_delivery, ready_to_attempt
from webhooks.outbox import send_task

SWEEP_BATCH = 1000


@shared_task(name="webhooks.tasks.deliver_webhook", acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    attempt_delivery(delivery_id)


@shared_task(name="webhooks.tasks.dispatch_due_deliveries", ignore_result=True)
def dispatch_due_deliveries() -> int:
    """Queue the deliveries that are due but not running: their task was never sent
    (broker down at commit), was lost with a worker, or their retry is later than a
    countdown is kept for. Deliveries that just became due are left to the task already
    queued for them for one sweep period, so the sweep does not double every send."""
    now = timezone.now()
    grace = timedelta(seconds=settings.WEBHOOK_SWEEP_SECONDS)
    due = (
        ready_to_attempt(now)
        .filter(next_attempt_at__lte=now - grace)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    queued = 0
    for delivery_id in due:
        queued += send_task(delivery_id)
    return queued
