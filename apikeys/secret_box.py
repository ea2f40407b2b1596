"""Encryption at rest for the secrets we must be able to read back (partners' webhook
signing secrets), unlike API keys, which are only ever compared and so are hashed.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`). The keys come from
WEBHOOK_SECRET_ENCRYPTION_KEYS, newest first, followed by keys derived from SECRET_KEY and
SECRET_KEY_FALLBACKS: the first encrypts, every one decrypts, so an operator rotates by
putting a new key in front and running `reencrypt_webhook_secrets`. Either way a copy of
the database alone reveals no secret.
"""

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class UnreadableSecret(Exception):
    """A stored secret that none of the configured keys decrypts."""


def encrypt(plaintext: str) -> str:
    return _box().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _box().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError) as error:
        raise UnreadableSecret(
            "A stored webhook secret cannot be decrypted with WEBHOOK_SECRET_ENCRYPTION_KEYS "
            "(or the keys derived from SECRET_KEY and SECRET_KEY_FALLBACKS)"
        ) from error


def derive_key(secret_key: str) -> bytes:
    """A Fernet key derived from a Django SECRET_KEY, for this purpose only."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"servicedesk webhook secrets").derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


def _keys() -> list[bytes]:
    """The configured keys, then those derived from Django's: the first encrypts, and a
    token written before a key was configured stays readable until it is re-encrypted."""
    configured = [key.encode("ascii") for key in settings.WEBHOOK_SECRET_ENCRYPTION_KEYS]
    return configured + [derive_key(key) for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]


@cache
def _box_for(keys: tuple[bytes, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "WEBHOOK_SECRET_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes each)"
        ) from error


def _box() -> MultiFernet:
    # Keyed by the settings' current values, so tests that override them take effect.
    return _box_for(tuple(_keys()))
