"""Signing and verifying outgoing webhooks: pure functions over values, no ORM.

Every delivery carries two signatures, both HMAC-SHA256:

* ``X-Webhook-Signature: sha256=<hex>``, a MAC over the raw body alone. This is simple for
  a receiver to check, but it does not protect against replays: a captured request
  verifies forever.
* The Standard Webhooks headers (https://www.standardwebhooks.com/): ``webhook-id``,
  ``webhook-timestamp`` and ``webhook-signature: v1,<base64>``, a MAC over
  ``"{id}.{timestamp}.{body}"``. Because the id and the timestamp are signed, a receiver
  can reject stale deliveries and drop duplicate ids, and the off-the-shelf Standard
  Webhooks libraries can verify what we send. During a secret rotation every current
  secret signs, so ``webhook-signature`` holds one space-separated ``v1,`` entry per secret
  and a receiver that holds either the old or the new secret accepts the delivery.

A secret is ``whsec_`` followed by the base64 encoding of random key bytes. Both MACs are
keyed with those *decoded bytes*. They are not keyed with the ``whsec_...`` text, because
that would not match what Standard Webhooks libraries compute. The body is never just
hashed either: anyone can compute ``sha256(body)``, so a bare hash proves nothing about
the sender.
"""

import base64
import binascii
import hashlib
import hmac
import re

SECRET_PREFIX = "whsec_"
LEGACY_SIGNATURE_HEADER = "X-Webhook-Signature"
LEGACY_SIGNATURE_PREFIX = "sha256="
STANDARD_ID_HEADER = "webhook-id"
STANDARD_TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
STANDARD_SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300

# A timestamp is plain decimal digits. int() alone would also accept "+1", " 1" and "1_0".
_TIMESTAMP_PATTERN = re.compile(r"[0-9]+")


def decode_secret(secret: str) -> bytes:
    """Return the key bytes of a ``whsec_<base64>`` secret.

    Raises ``ValueError`` if the prefix is missing, the base64 is invalid or the key is empty.
    """
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret must start with {SECRET_PREFIX!r}")
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("a webhook secret must be base64 after its prefix") from error
    if not key:
        raise ValueError("a webhook secret must not be empty")
    return key


def sign(*, secrets: list[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Return the signature headers for one delivery attempt.

    ``secrets[0]`` is the current secret. It alone keys the legacy ``X-Webhook-Signature``.
    Every secret in ``secrets`` adds a ``v1,`` entry to ``webhook-signature``, in the
    order given. Raises ``ValueError`` if there are no secrets or any of them is malformed.
    """
    if not secrets:
        raise ValueError("at least one secret is required to sign a webhook")
    keys = [decode_secret(secret) for secret in secrets]
    return {
        LEGACY_SIGNATURE_HEADER: LEGACY_SIGNATURE_PREFIX + _legacy_digest(keys[0], body),
        STANDARD_ID_HEADER: message_id,
        STANDARD_TIMESTAMP_HEADER: str(timestamp),
        STANDARD_SIGNATURE_HEADER: " ".join(
            f"{STANDARD_SIGNATURE_VERSION},{_standard_digest(key, message_id, str(timestamp), body)}" for key in keys
        ),
    }


def verify_standard(
    *,
    secret: str,
    headers: dict[str, str],
    body: bytes,
    now: int,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """Check a delivery the way a Standard Webhooks receiver does.

    Header names are matched case-insensitively. The result is False if a header is
    missing, if the timestamp is not an integer, or if the timestamp is more than
    ``tolerance_seconds`` before or after ``now``. Otherwise the result is True if any
    ``v1,`` entry matches, compared in constant time. Entries of other versions are ignored.
    Raises ``ValueError`` only if ``secret`` itself is malformed.
    """
    key = decode_secret(secret)
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get(STANDARD_ID_HEADER)
    timestamp = lowered.get(STANDARD_TIMESTAMP_HEADER)
    signatures = lowered.get(STANDARD_SIGNATURE_HEADER)
    if message_id is None or timestamp is None or signatures is None:
        return False
    if not _TIMESTAMP_PATTERN.fullmatch(timestamp):
        return False
    if abs(now - int(timestamp)) > tolerance_seconds:
        return False

    expected = _standard_digest(key, message_id, timestamp, body).encode()
    matched = False
    for entry in signatures.split():
        version, _, signature = entry.partition(",")
        if version != STANDARD_SIGNATURE_VERSION:
            continue
        # Every entry is compared, even after a match, so the time taken does not
        # reveal which entry matched.
        matched |= hmac.compare_digest(expected, signature.encode())
    return matched


def verify_legacy(*, secret: str, header_value: str, body: bytes) -> bool:
    """Check an ``X-Webhook-Signature: sha256=<lowercase hex>`` value in constant time.

    This proves who sent the body but gives no protection against replays. Use
    ``verify_standard`` for that. Raises ``ValueError`` only if ``secret`` is malformed.
    """
    key = decode_secret(secret)
    if not header_value.startswith(LEGACY_SIGNATURE_PREFIX):
        return False
    received = header_value.removeprefix(LEGACY_SIGNATURE_PREFIX)
    return hmac.compare_digest(_legacy_digest(key, body).encode(), received.encode())


def _legacy_digest(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _standard_digest(key: bytes, message_id: str, timestamp: str, body: bytes) -> str:
    signed_content = f"{message_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed_content, hashlib.sha256).digest()).decode()
