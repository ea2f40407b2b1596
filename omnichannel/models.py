from django.db import models


class IdempotencyRecord(models.Model):
    """One write a partner asked for under an idempotency key, and the answer it got.

    Inserted at the start of the write's transaction and completed at its end, so a
    committed record always holds the answer of a write that happened (see
    omnichannel/idempotency.py)."""

    partner = models.ForeignKey("apikeys.Partner", on_delete=models.CASCADE, related_name="+")
    # "requestId:<integration.requestId>" or "header:<Idempotency-Key>"
    key = models.CharField(max_length=300)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "key"], name="idempotency_unique_partner_key")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.key} → {self.status_code or 'in flight'}"
