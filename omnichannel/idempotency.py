"""Idempotent writes (DESIGN.md "Idempotency").

A create carrying `integration.requestId`, or any write carrying an `Idempotency-Key`
header, runs at most once per (partner, key) for 24 hours:
- same key, same body: the original status and body again, with `Idempotent-Replayed: true`;
- same key, another body (or another path): 409 `idempotency_key_reused`;
- same key while the first is still running: it waits for the first to finish (up to
  IDEMPOTENCY_WAIT_SECONDS), then answers as above, or 409 `request_in_progress` with
  `Retry-After`.

How: the write runs in one transaction that starts by inserting the (partner, key) record
and ends by storing the answer in it. The unique constraint makes a concurrent duplicate's
insert wait on the first transaction's uncommitted row (a database lock, no polling):
when the first commits, the duplicate finds the stored answer; when it fails and rolls
back, the record vanishes with it and the duplicate does the work. Only successful (2xx)
answers are kept, so a corrected request may reuse the key, and a crash leaves nothing."""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction
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

    def __init__(self, retry_after: int = 1):
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


def _claim(*, partner, key: str, digest: str) -> int | None:
    """Insert the record; its id, or None when a committed record holds the key. While
    another transaction holds an uncommitted record for the key, this waits for it."""
    now = timezone.now()
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (partner_id, key, fingerprint, created_at, expires_at)"  # noqa: S608 - our table
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (partner_id, key) DO NOTHING RETURNING id",
            [
                partner.pk,
                key,
                digest,
                connection.ops.adapt_datetimefield_value(now),
                connection.ops.adapt_datetimefield_value(now + timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS)),
            ],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def _bound_the_wait() -> None:
    if connection.vendor == "postgresql":
        milliseconds = int(settings.IDEMPOTENCY_WAIT_SECONDS * 1000)
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {milliseconds}")


def _is_lock_wait_timeout(error: OperationalError) -> bool:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) == "55P03" or "database is locked" in str(error)


def run_once(*, partner, key: str, digest: str, write: Callable[[], Response]) -> Response:
    """Run `write` (which raises, or returns a Response) at most once for this key."""
    try:
        with transaction.atomic():
            _bound_the_wait()
            record_id = _claim(partner=partner, key=key, digest=digest)
            if record_id is None:
                record = IdempotencyRecord.objects.get(partner=partner, key=key)
                if record.expires_at > timezone.now():
                    if record.fingerprint != digest:
                        raise IdempotencyKeyReused()
                    return Response(record.response_body, status=record.status_code, headers={REPLAY_HEADER: "true"})
                record.delete()  # past its 24 hours: the key is free again
                record_id = _claim(partner=partner, key=key, digest=digest)
            response = write()
            if status.is_success(response.status_code):
                IdempotencyRecord.objects.filter(pk=record_id).update(
                    status_code=response.status_code, response_body=response.data
                )
            else:
                transaction.set_rollback(True)  # keep no record of a request that did not succeed
            return response
    except OperationalError as error:
        if _is_lock_wait_timeout(error):
            raise RequestInProgress(retry_after=1) from None
        raise


def purge_expired() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
