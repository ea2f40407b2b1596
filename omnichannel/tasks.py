from celery import shared_task

from omnichannel import idempotency


@shared_task(acks_late=True)
def purge_idempotency_records() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): forget answers older than 24 hours."""
    return idempotency.purge_expired()
