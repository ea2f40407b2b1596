import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apikeys import keys
from apikeys.models import ApiKey, Partner, Permission
from config.networks import address_in
from webhooks.targets import UnsafeTarget, check_url

# last_used_at is for people, not for accounting: write it at most once a minute per key
# so that a busy key does not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class InvalidKeySettings(ValueError):
    pass


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw_key: str
    webhook_secret: str | None  # set only when this call created the partner's secret


def validate_permissions(permissions: list[str]) -> list[str]:
    allowed = set(Permission.values)
    unknown = [p for p in permissions if p not in allowed]
    if unknown or not permissions:
        got = ", ".join(permissions) or "none"
        raise InvalidKeySettings(
            f"Permissions must be a non-empty subset of {', '.join(Permission.values)}; not {got}."
        )
    return sorted(set(permissions))


def validate_networks(networks: list[str]) -> list[str]:
    try:
        return [str(ipaddress.ip_network(n.strip(), strict=False)) for n in networks if n.strip()]
    except ValueError as exc:
        raise InvalidKeySettings(f"Invalid IP address or CIDR range: {exc}") from exc


RATE_LIMIT_KINDS = ("create", "read", "update")


def validate_rate_limits(limits: dict[str, int]) -> dict[str, int]:
    unknown = set(limits) - set(RATE_LIMIT_KINDS)
    if unknown or any(not isinstance(v, int) or v < 1 for v in limits.values()):
        raise InvalidKeySettings(f"Rate limits are positive requests per minute for {', '.join(RATE_LIMIT_KINDS)}.")
    return limits


@transaction.atomic
def api_key_create(
    *,
    partner_code: str,
    name: str,
    permissions: list[str],
    partner_name: str | None = None,
    webhook_url: str | None = None,
    expires_at: datetime | None = None,
    allowed_networks: list[str] | None = None,
    rate_limits: dict[str, int] | None = None,
) -> IssuedKey:
    """Create a key, and the partner with its webhook secret when it does not exist yet."""
    permissions = validate_permissions(permissions)
    networks = validate_networks(allowed_networks or [])
    partner, created = Partner.objects.get_or_create(code=partner_code, defaults={"name": partner_name or partner_code})
    new_secret = None
    if created or not partner.webhook_secret:
        new_secret = keys.generate_webhook_secret()
        partner.webhook_secret = new_secret
        partner.save(update_fields=["webhook_secret"])
    if webhook_url:
        partner.webhook_url = validate_webhook_url(webhook_url)
        partner.save(update_fields=["webhook_url"])
    new_key = keys.generate_key()
    api_key = ApiKey.objects.create(
        partner=partner,
        name=name,
        prefix=new_key.prefix,
        key_hash=new_key.digest,
        permissions=permissions,
        allowed_networks=networks,
        expires_at=expires_at,
        **{f"rate_limit_{kind}": limit for kind, limit in validate_rate_limits(rate_limits or {}).items()},
    )
    return IssuedKey(api_key=api_key, raw_key=new_key.raw, webhook_secret=new_secret)


DEFAULT_ROTATION_OVERLAP = timedelta(hours=24)


@transaction.atomic
def webhook_secret_rotate(*, partner: Partner, overlap: timedelta = DEFAULT_ROTATION_OVERLAP) -> str:
    """Give the partner a new webhook secret and return it (it is shown once). The old
    one keeps signing next to it for `overlap`, so the partner can switch its receiver
    over without losing a delivery; a zero overlap drops it at once (a leaked secret)."""
    if overlap < timedelta(0):
        raise InvalidKeySettings("The overlap cannot be negative.")
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    new_secret = keys.generate_webhook_secret()
    partner.webhook_secret_previous = partner.webhook_secret if overlap else ""
    partner.webhook_secret_previous_until = timezone.now() + overlap if overlap else None
    partner.webhook_secret = new_secret
    partner.save(update_fields=["webhook_secret", "webhook_secret_previous", "webhook_secret_previous_until"])
    return new_secret


def validate_webhook_url(url: str) -> str:
    try:
        check_url(url, allow_http=settings.WEBHOOK_ALLOW_HTTP, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)
    except UnsafeTarget as refused:
        raise InvalidKeySettings(f"This URL cannot receive webhooks: {refused}.") from None
    return url


@transaction.atomic
def api_key_rotate(*, api_key: ApiKey) -> IssuedKey:
    """A new key with the same partner, name, permissions, allow-list, expiry and rate
    limits; the old one is revoked at once (a partner switches by deploying the new key)."""
    issued = api_key_create(
        partner_code=api_key.partner.code,
        name=api_key.name,
        permissions=api_key.permissions,
        expires_at=api_key.expires_at,
        allowed_networks=api_key.allowed_networks,
        rate_limits={
            kind: limit for kind in RATE_LIMIT_KINDS if (limit := getattr(api_key, f"rate_limit_{kind}")) is not None
        },
    )
    api_key_revoke(api_key=api_key)
    return issued


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_touch(*, api_key: ApiKey) -> None:
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def address_allowed(*, api_key: ApiKey, address: str) -> bool:
    if not api_key.allowed_networks:
        return True
    return address_in(address, tuple(api_key.allowed_networks))


def webhook_secrets_reencrypt() -> int:
    """Store every partner's webhook secrets again under the newest encryption key (after
    a key was put in front of WEBHOOK_SECRET_ENCRYPTION_KEYS). Returns how many partners."""
    count = 0
    with transaction.atomic():
        for partner in Partner.objects.select_for_update().exclude(webhook_secret="", webhook_secret_previous=""):
            # Reading decrypted with whichever key fits; saving encrypts with the first.
            partner.save(update_fields=["webhook_secret", "webhook_secret_previous"])
            count += 1
    return count
