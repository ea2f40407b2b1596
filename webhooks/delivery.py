"""Attempting a delivery: claim it, sign it, post it, record the attempt, decide what next.

Safe to run twice for the same delivery, and from any number of workers: a delivery is
attempted only by the worker that claims it (one conditional UPDATE), only when it is
due, and only when no earlier event of the same ticket is still pending, so that a
partner receives each ticket's events in `sequence` order. The claim is a lease: a
worker killed mid-attempt lets it run out and the sweep gives the delivery to another
(at least once: the receiver may then see the event twice and drops it by webhook-id).
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from apikeys.models import Partner
from webhooks import retries, signing, transport
from webhooks.models import Attempt, Delivery, DeliveryStatus
from webhooks.outbox import send_task
from webhooks.targets import UnsafeTarget, check_target

logger = logging.getLogger(__name__)

USER_AGENT = "BankSulutGo-ServiceDesk-Webhooks/1.0"
# A retry due sooner than this is queued with a countdown; later ones are left to the
# sweep (a broker should not hold hours-long countdowns).
COUNTDOWN_LIMIT_SECONDS = 300

_rng = random.SystemRandom()


@dataclass(frozen=True)
class Outcome:
    status: str
    attempt: Attempt


def retry_policy() -> retries.RetryPolicy:
    return retries.RetryPolicy(
        base_seconds=settings.WEBHOOK_RETRY_BASE_SECONDS,
        cap_seconds=settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS,
    )


def ready_to_attempt(now: datetime):
    """Pending deliveries that are due, not leased, and first in line for their ticket."""
    earlier_pending = Delivery.objects.filter(
        ticket_id=OuterRef("ticket_id"), status=DeliveryStatus.PENDING, sequence__lt=OuterRef("sequence")
    )
    return (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .exclude(Exists(earlier_pending))
    )


def claim(delivery_id: int, now: datetime) -> Delivery | None:
    claimed = (
        ready_to_attempt(now)
        .filter(pk=delivery_id)
        .update(
            leased_until=now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS),
            attempt_count=F("attempt_count") + 1,
        )
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("partner").get(pk=delivery_id)


def attempt_delivery(delivery_id: int) -> Outcome | None:
    """Attempt the delivery if it is this worker's to attempt; None when it is not."""
    started_at = timezone.now()
    delivery = claim(delivery_id, started_at)
    if delivery is None:
        return None
    answer = _post(delivery, started_at)
    return _record(delivery, answer, started_at)


def _post(delivery: Delivery, now: datetime) -> transport.Answer:
    secrets = delivery.partner.webhook_signing_secrets(now)
    if not secrets:
        return transport.Answer(status_code=None, latency_ms=0, error="the partner has no webhook secret")
    try:
        target = check_target(
            delivery.url,
            allow_http=settings.WEBHOOK_ALLOW_HTTP,
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
        )
    except UnsafeTarget as refused:
        return transport.Answer(status_code=None, latency_ms=0, error=f"refused target: {refused}"[:500])
    except OSError as exc:  # DNS failure: not a verdict on the target, tried again later
        return transport.Answer(status_code=None, latency_ms=0, error=f"cannot resolve host: {exc}"[:500])
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signing.sign(secrets=secrets, message_id=delivery.event_id, timestamp=int(now.timestamp()), body=body),
    }
    return transport.post(
        target,
        body=body,
        headers=headers,
        connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT,
        read_timeout=settings.WEBHOOK_READ_TIMEOUT,
        max_response_bytes=settings.WEBHOOK_MAX_RESPONSE_BYTES,
    )


def _is_final_error(answer: transport.Answer) -> bool:
    # A refused target or a missing secret will not mend itself by waiting.
    return answer.status_code is None and (
        answer.error.startswith("refused target") or answer.error.startswith("the partner has no")
    )


def _record(delivery: Delivery, answer: transport.Answer, started_at: datetime) -> Outcome:
    now = timezone.now()
    verdict = retries.classify(answer.status_code)
    error = answer.error
    if _is_final_error(answer):
        verdict = retries.Verdict.FINAL
    elif answer.status_code is not None and 300 <= answer.status_code < 400:
        error = f"redirect to {answer.location or '(no Location)'} not followed"[:500]

    next_attempt_at = None
    if verdict is retries.Verdict.RETRY:
        next_attempt_at = retry_policy().next_attempt_at(
            now=now,
            failed_attempts=_attempts_this_round(delivery),
            status_code=answer.status_code,
            retry_after=answer.retry_after,
            rng=_rng,
        )
        if next_attempt_at > delivery.retry_until:
            verdict = retries.Verdict.FINAL
            error = (f"{error}; " if error else "") + "retries exhausted"

    status = {
        retries.Verdict.DELIVERED: DeliveryStatus.DELIVERED,
        retries.Verdict.RETRY: DeliveryStatus.PENDING,
        retries.Verdict.FINAL: DeliveryStatus.FAILED,
    }[verdict]
    with transaction.atomic():
        attempt = Attempt.objects.create(
            delivery=delivery,
            number=delivery.attempt_count,
            started_at=started_at,
            status_code=answer.status_code,
            latency_ms=answer.latency_ms,
            error=error[:500],
            response_excerpt=answer.excerpt,
        )
        fields = {
            "status": status,
            "leased_until": None,
            "last_status_code": answer.status_code,
            "last_error": error[:500],
        }
        if status == DeliveryStatus.DELIVERED:
            fields["delivered_at"] = now
        if next_attempt_at is not None:
            fields["next_attempt_at"] = next_attempt_at
        # Only while this worker still holds the lease: an attempt that outlived it (a
        # receiver trickling its answer) has been handed on, and must not overwrite what
        # the next worker recorded. The attempt itself stays in the history.
        still_ours = Delivery.objects.filter(pk=delivery.pk, leased_until=delivery.leased_until).update(**fields)
        if still_ours:
            _note_endpoint_health(delivery.partner_id, delivered=status == DeliveryStatus.DELIVERED, at=started_at)
            transaction.on_commit(lambda: _queue_what_follows(delivery, status, next_attempt_at, now))

    log = logger.info if status == DeliveryStatus.DELIVERED else logger.warning
    log(
        "webhook %s %s #%s attempt %s: %s (%s ms) %s",
        delivery.event_id,
        delivery.event,
        delivery.sequence,
        attempt.number,
        answer.status_code or "no answer",
        answer.latency_ms,
        status,
    )
    return Outcome(status=status, attempt=attempt)


def _attempts_this_round(delivery: Delivery) -> int:
    """Attempts since the delivery's retry window opened (at the event, or at a
    redelivery), this one included: a redelivered event starts again from the first wait."""
    window_start = delivery.retry_until - timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS)
    return delivery.attempts.filter(started_at__gte=window_start).count() + 1


def _note_endpoint_health(partner_id: int, *, delivered: bool, at: datetime) -> None:
    # Written only when the state flips, not on every attempt.
    if delivered:
        Partner.objects.filter(pk=partner_id, webhook_failing_since__isnull=False).update(webhook_failing_since=None)
    else:
        Partner.objects.filter(pk=partner_id, webhook_failing_since__isnull=True).update(webhook_failing_since=at)


def _queue_what_follows(delivery: Delivery, status: str, next_attempt_at: datetime | None, now: datetime) -> None:
    if status == DeliveryStatus.PENDING:
        delay = (next_attempt_at - now).total_seconds()
        if delay <= COUNTDOWN_LIMIT_SECONDS:
            send_task(delivery.pk, countdown=max(delay, 0))
        return
    # Delivered or failed for good: the ticket's next event, held back for order, may go.
    following = (
        Delivery.objects.filter(ticket_id=delivery.ticket_id, status=DeliveryStatus.PENDING)
        .order_by("sequence")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        send_task(following)
