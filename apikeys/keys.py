"""Making, parsing and checking raw API keys and webhook secrets. Pure functions.

A raw key looks like `sdk_<prefix>_<secret>`: the prefix is stored in clear to find the
row, the whole key only as a SHA-256 digest. The secret part carries 256 random bits, so a
fast hash is enough; a slow password hash would only cost every request time."""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_SCHEME = "sdk"
PREFIX_LENGTH = 8


@dataclass(frozen=True)
class NewKey:
    raw: str
    prefix: str
    digest: str


def digest_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def generate_key() -> NewKey:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    raw = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(raw=raw, prefix=prefix, digest=digest_key(raw))


def parse_prefix(raw_key: str) -> str | None:
    """The prefix of a well-formed key, or None for anything else."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME or len(parts[1]) != PREFIX_LENGTH or not parts[2]:
        return None
    return parts[1]


def key_matches(raw_key: str, stored_digest: str) -> bool:
    # Constant-time, so response timing tells nothing about how much of a guess was right.
    return hmac.compare_digest(digest_key(raw_key), stored_digest)


def generate_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
