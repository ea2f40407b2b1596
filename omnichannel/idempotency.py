"""Idempotent writes (DESIGN.md "Idempotency").

A create carrying `integration.requestId`, or any write carrying an `Idempotency-Key`
header, runs at most once per (partner, key) for 24 hours:
- same key, same body: the original status and body again, with `Idempotent-Replayed: true`;
- same key, another body (or another path): 409 `idempotency_key_reused`;
- same key while the first is still running: wait for it (a few seconds), then answer as
  above, or 409 `request_in_progress` with `Retry-After`.
Only successful (2xx) answers are kept: a request that failed may be retried with the same
key once it is corrected. The unique constraint on (partner, key) is what makes a
concurrent duplicate lose; the answer is stored in the write's own transaction."""

import hashlib
import json
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.response import Response

from omnichannel.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This idempotency key was already used with a different request."
    default_code = "idempotency_key_reused"


class RequestInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this idempotency key is still being processed; retry shortly."
    default_code = "request_in_progress"

    def __init__(self, retry_after: int):
        super().__init__()
        self.wait = retry_after  # DRF's handler turns `wait` into Retry-After


def fingerprint(*, method: str, path: str, body) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    material = f"{method}\n{path.rstrip('/')}\n{canonical}"
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def header_key(request) -> str | None:
    value = request.META.get(HEADER)
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_KEY_LENGTH or not value.isprintable() or not value.isascii():
        raise exceptions.ValidationError(
            {"Idempotency-Key": f"Must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."}
        )
    return value


def _claim(*, partner, key: str, digest: str) -> IdempotencyRecord | None:
    """Insert the in-flight record; None when another request holds the key. One
    INSERT ... ON CONFLICT DO NOTHING: the loser of a race learns it without an error that
    would abort a surrounding transaction."""
    now = timezone.now()
    record = IdempotencyRecord(
        partner=partner,
        key=key,
        fingerprint=digest,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS),
    )
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (partner_id, key, fingerprint, created_at, expires_at)"  # noqa: S608 - our table
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (partner_id, key) DO NOTHING RETURNING id",
            [
                partner.pk,
                key,
                digest,
                connection.ops.adapt_datetimefield_value(record.created_at),
                connection.ops.adapt_datetimefield_value(record.expires_at),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    record.pk = row[0]
    return record


def _replay(record: IdempotencyRecord) -> Response:
    return Response(record.response_body, status=record.status_code, headers={REPLAY_HEADER: "true"})


def _existing_answer(*, partner, key: str, digest: str) -> Response | None:
    """The stored answer for a key another request holds, waiting while that one runs.
    None when the key turned out to be free (expired, abandoned, or its request failed)."""
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while True:
        record = IdempotencyRecord.objects.filter(partner=partner, key=key).first()
        now = timezone.now()
        if record is None:
            return None
        stale = now - record.created_at > timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS)
        if record.expires_at <= now or (record.status_code is None and stale):
            # Expired, or its request died without an answer: free it for this one.
            IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at).delete()
            return None
        if record.fingerprint != digest:
            raise IdempotencyKeyReused()
        if record.status_code is not None:
            return _replay(record)
        if time.monotonic() >= deadline:
            raise RequestInProgress(retry_after=1)
        time.sleep(0.05)


def run_once(*, partner, key: str, digest: str, write: Callable[[], Response]) -> Response:
    """Run `write` (which must raise or return a Response) at most once for this key."""
    for _ in range(3):
        record = _claim(partner=partner, key=key, digest=digest)
        if record is None:
            answer = _existing_answer(partner=partner, key=key, digest=digest)
            if answer is not None:
                return answer
            continue  # the key was freed: claim it again
        try:
            with transaction.atomic():
                response = write()
                if status.is_success(response.status_code):
                    record.status_code = response.status_code
                    record.response_body = response.data
                    record.save(update_fields=["status_code", "response_body"])
                    return response
        except BaseException:
            record.delete()
            raise
        record.delete()
        return response
    raise RequestInProgress(retry_after=1)


def purge_expired() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
