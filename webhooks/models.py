from django.db import models
from django.db.models import Q


class EventType(models.TextChoices):
    TICKET_CREATED = "TICKET_CREATED"
    STATUS_CHANGED = "STATUS_CHANGED"
    COMMENT_ADDED = "COMMENT_ADDED"
    TICKET_RESOLVED = "TICKET_RESOLVED"
    TICKET_CLOSED = "TICKET_CLOSED"


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"  # not yet delivered; attempted again at next_attempt_at
    DELIVERED = "DELIVERED", "Delivered"
    FAILED = "FAILED", "Failed"  # a final answer, or retries exhausted; an admin may redeliver


class Delivery(models.Model):
    """One event for one partner endpoint: the outbox row, written in the same transaction
    as the ticket change that raised it, and then the record of its delivery."""

    event_id = models.CharField(max_length=40, unique=True, editable=False)  # also the webhook-id header
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="webhook_deliveries")
    partner = models.ForeignKey("apikeys.Partner", on_delete=models.CASCADE, related_name="webhook_deliveries")
    event = models.CharField(max_length=32, choices=EventType.choices)
    sequence = models.PositiveIntegerField(help_text="Counts the events of one ticket from 1")
    url = models.URLField(max_length=500)
    # The exact bytes that are signed and sent, so every attempt sends the same body.
    body = models.TextField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    next_attempt_at = models.DateTimeField()
    retry_until = models.DateTimeField(help_text="No attempt is started after this")
    # A worker that takes the delivery holds it until then; a worker killed mid-attempt
    # lets the lease run out and the sweep hands the delivery to another.
    leased_until = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["ticket", "sequence"], name="delivery_unique_ticket_sequence"),
        ]
        indexes = [
            # The sweep: pending deliveries that are due.
            models.Index(
                fields=["next_attempt_at"], name="delivery_pending_due", condition=Q(status=DeliveryStatus.PENDING)
            ),
            # Ordering per ticket: is an earlier event of this ticket still pending?
            models.Index(fields=["ticket", "status", "sequence"], name="delivery_ticket_status_seq"),
            models.Index(fields=["status", "created_at"], name="delivery_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.sequence} for {self.ticket_id} ({self.status})"


class Attempt(models.Model):
    """One HTTP attempt of a delivery: kept whatever its outcome."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.TextField(blank=True, help_text="The first bytes of the answer")

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="attempt_unique_number")]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.delivery_id}: {self.status_code or self.error}"
