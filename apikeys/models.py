from django.conf import settings
from django.db import models
from django.utils import timezone

from apikeys.fields import EncryptedSecretField


class Permission(models.TextChoices):
    CREATE = "omnichannel:create", "Create tickets"
    READ = "omnichannel:read", "Read ticket status"
    UPDATE = "omnichannel:update", "Update tickets"


class Partner(models.Model):
    """A channel integrator (WhatsApp gateway, e-mail bridge, web portal...)."""

    code = models.CharField(max_length=64, unique=True, help_text="e.g. PARTNER001; sent as integration.partnerId")
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    webhook_url = models.URLField(max_length=500, blank=True, help_text="Default webhook target")
    # A Standard Webhooks secret (whsec_...). It must be recoverable to sign with, so it
    # cannot be hashed like the API keys: it is stored encrypted (apikeys/secret_box.py)
    # and shown to the partner once, at creation.
    webhook_secret = EncryptedSecretField(blank=True, editable=False)
    # During a rotation the previous secret keeps signing next to the new one until then,
    # so that a partner can switch its receiver over without losing a delivery.
    webhook_secret_previous = EncryptedSecretField(blank=True, editable=False)
    webhook_secret_previous_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by the first failed delivery attempt after a success, cleared by the next success.
    webhook_failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"

    def webhook_signing_secrets(self, now) -> list[str]:
        """The secrets that sign a delivery now. During a rotation's overlap the previous
        secret comes first, so that it alone keys X-Webhook-Signature: a receiver that
        checks only that header keeps working until the overlap ends, while the Standard
        Webhooks signature carries both."""
        in_overlap = (
            bool(self.webhook_secret_previous)
            and self.webhook_secret_previous_until is not None
            and self.webhook_secret_previous_until > now
        )
        if in_overlap:
            return [self.webhook_secret_previous, self.webhook_secret]
        return [self.webhook_secret] if self.webhook_secret else []

    def webhook_endpoint_failing(self, now) -> bool:
        """Failing once every delivery attempt has failed for a whole day (WEBHOOK_FAILING_AFTER)."""
        return (
            self.webhook_failing_since is not None
            and now - self.webhook_failing_since >= settings.WEBHOOK_FAILING_AFTER
        )


class ApiKey(models.Model):
    """An API key. Only its SHA-256 is stored; the prefix identifies it in lists and logs."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(max_length=200)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, editable=False)
    permissions = models.JSONField(default=list, help_text="Any of omnichannel:create, :read, :update")
    allowed_networks = models.JSONField(
        default=list, blank=True, help_text="IP addresses or CIDR ranges; empty allows any address"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    # Requests per minute; empty uses the defaults (settings.OMNICHANNEL_RATE_LIMITS).
    rate_limit_create = models.PositiveIntegerField(null=True, blank=True, help_text="Creates per minute")
    rate_limit_read = models.PositiveIntegerField(null=True, blank=True, help_text="Status reads per minute")
    rate_limit_update = models.PositiveIntegerField(null=True, blank=True, help_text="Updates per minute")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def has_permission(self, permission: str) -> bool:
        return permission in self.permissions
