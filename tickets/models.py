import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper


class Channel(models.TextChoices):
    WHATSAPP = "WHATSAPP", "WhatsApp"
    EMAIL = "EMAIL", "E-mail"
    CHAT = "CHAT", "Chat"
    PHONE = "PHONE", "Phone"
    SMS = "SMS", "SMS"
    FACEBOOK = "FACEBOOK", "Facebook"
    INSTAGRAM = "INSTAGRAM", "Instagram"
    TWITTER = "TWITTER", "Twitter"
    TELEGRAM = "TELEGRAM", "Telegram"
    WEB_PORTAL = "WEB_PORTAL", "Web portal"


class ServiceType(models.TextChoices):
    CLAIM = "CLAIM", "Financial claims"
    REIMBURSEMENT = "REIMBURSEMENT", "Reimbursement requests"
    DISPUTE = "DISPUTE", "Transaction disputes"
    COMPLAINT = "COMPLAINT", "Customer complaints"
    INQUIRY = "INQUIRY", "General inquiries"
    FEEDBACK = "FEEDBACK", "Customer feedback"
    TECHNICAL_SUPPORT = "TECHNICAL_SUPPORT", "General technical issues"
    ACCOUNT_ISSUE = "ACCOUNT_ISSUE", "Account access problems"
    CARD_ISSUE = "CARD_ISSUE", "Card-related problems"
    ATM_ISSUE = "ATM_ISSUE", "ATM-specific issues"
    MOBILE_BANKING = "MOBILE_BANKING", "Mobile banking app issues"
    INTERNET_BANKING = "INTERNET_BANKING", "Internet banking issues"
    GENERAL_REQUEST = "GENERAL_REQUEST", "General service requests"
    OTHER = "OTHER", "Other requests"


class Priority(models.TextChoices):
    # Declared from lowest to highest: priority.py relies on this order.
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class TicketStatus(models.TextChoices):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    PENDING = "PENDING"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


# The statuses in which the SLA clock runs; in the others it stands still.
SLA_RUNNING = ["OPEN", "IN_PROGRESS"]


class Language(models.TextChoices):
    INDONESIAN = "id", "Bahasa Indonesia"
    ENGLISH = "en", "English"


class SupportGroup(models.Model):
    name = models.CharField(max_length=120, unique=True)
    email = models.EmailField(blank=True)
    agents = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="support_groups")
    # Told by e-mail when a ticket of the group is at risk of breaching its SLA.
    supervisors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="supervised_groups")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday


class BusinessCalendar(models.Model):
    """Working hours for SLA time: the clock runs only inside them and not on holidays.
    A service without a calendar is on 24x7 (DESIGN.md's default)."""

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="Asia/Makassar")
    working_days = models.JSONField(default=default_working_days, help_text="Weekdays worked: 0 is Monday, 6 is Sunday")
    start_time = models.TimeField(default=datetime.time(8, 0))
    end_time = models.TimeField(default=datetime.time(16, 0))

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=F("end_time")),
                name="calendar_start_before_end",
                violation_error_message="Working hours must start before they end.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_calendar_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Service(models.Model):
    """One per service type: how the desk names it and which group works it."""

    service_type = models.CharField(max_length=32, choices=ServiceType.choices, unique=True)
    name = models.CharField(max_length=120)
    support_group = models.ForeignKey(SupportGroup, on_delete=models.PROTECT, related_name="services")
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        help_text="Empty: 24x7. Tickets keep the deadlines they were given when this changes.",
    )

    class Meta:
        ordering = ["service_type"]

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "branches"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SlaPolicy(models.Model):
    """Response and resolution targets for one (service, priority)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="sla_policies")
    priority = models.CharField(max_length=16, choices=Priority.choices)
    response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()

    class Meta:
        ordering = ["service", "priority"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(fields=["service", "priority"], name="sla_policy_unique_service_priority")
        ]

    def __str__(self) -> str:
        return f"{self.service.service_type}/{self.priority}: {self.response_minutes}m / {self.resolution_minutes}m"


class Customer(models.Model):
    """A bank customer. Linked across tickets by `identifier` (CIF or account number) when a
    partner sends one; without it each ticket gets its own customer row."""

    identifier = models.CharField(max_length=64, unique=True, null=True, blank=True)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    branch = models.ForeignKey(Branch, on_delete=models.SET_NULL, null=True, blank=True)
    department = models.CharField(max_length=120, blank=True)
    preferred_language = models.CharField(max_length=2, choices=Language.choices, default=Language.INDONESIAN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            # The agent console's search by e-mail (case-insensitive) and phone.
            models.Index(Upper("email"), name="customer_email_upper"),
            models.Index(fields=["phone"], name="customer_phone"),
        ]

    def __str__(self) -> str:
        return self.name or self.identifier or f"Customer {self.pk}"


class TicketNumberCounter(models.Model):
    """Last sequence handed out per year, for databases without sequences (SQLite).
    PostgreSQL uses one database sequence per year instead (tickets/numbering.py)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_value}"


class Ticket(models.Model):
    # Every index here is written again when a ticket changes (an SLA mark is no HOT
    # update), so the table keeps only those a query uses: uniqueness as constraints (no
    # LIKE-pattern twins), and no index where a composite one below already leads with
    # the column (partner, branch) or nothing looks rows up by it (api_key).
    number = models.CharField(max_length=32)
    public_id = models.CharField(max_length=32, editable=False)
    partner = models.ForeignKey("apikeys.Partner", on_delete=models.PROTECT, related_name="tickets", db_index=False)
    api_key = models.ForeignKey(
        "apikeys.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    channel_reference_id = models.CharField(max_length=128, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="tickets")
    support_group = models.ForeignKey(SupportGroup, on_delete=models.PROTECT, related_name="tickets")
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", db_index=False
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_tickets"
    )
    title = models.CharField(max_length=200)
    description = models.TextField()
    category = models.CharField(max_length=64, blank=True)
    requested_priority = models.CharField(max_length=16, choices=Priority.choices, blank=True)
    priority = models.CharField(max_length=16, choices=Priority.choices)
    status = models.CharField(max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    # The amount that drove the priority (claimAmount or disputeAmount), as sent.
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    amount_currency = models.CharField(max_length=3, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    webhook_url = models.URLField(max_length=500, blank=True)
    api_version = models.CharField(max_length=10, blank=True)
    preferred_language = models.CharField(max_length=2, choices=Language.choices, default=Language.INDONESIAN)

    # The SLA policy's targets when the ticket was opened, and the deadlines they give.
    response_target_minutes = models.PositiveIntegerField()
    resolution_target_minutes = models.PositiveIntegerField()
    response_deadline = models.DateTimeField()
    resolution_deadline = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    # When 75% of the resolution time will have run: the at-risk warning goes out then.
    resolution_at_risk_at = models.DateTimeField()
    # Set while the SLA clock stands still (PENDING, RESOLVED, CLOSED, CANCELLED).
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    # Set once by the SLA sweep (or by the late reply or resolution itself).
    response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    at_risk_notified_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()  # looked up per partner: ticket_partner_updated
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="ticket_unique_number"),
            models.UniqueConstraint(fields=["public_id"], name="ticket_unique_public_id"),
        ]
        indexes = [
            # The reference first: a partner's lookups give both columns, the agents' search
            # only the reference.
            models.Index(fields=["channel_reference_id", "partner"], name="ticket_channel_ref_partner"),
            models.Index(fields=["partner", "request_id"], name="ticket_partner_request_id"),
            models.Index(fields=["partner", "updated_at"], name="ticket_partner_updated"),
            # The agent console's lists, most urgent first, whatever the status filter.
            models.Index(fields=["resolution_deadline", "id"], name="ticket_deadline_order"),
            # The list filtered by branch in the same order. A branch with few tickets (or
            # none) would otherwise walk the whole deadline order to fill a page.
            models.Index(
                fields=["branch", "resolution_deadline", "id"],
                name="ticket_branch_deadline_order",
                condition=Q(branch__isnull=False),
            ),
            # The list's "SLA paused" view in the same order: stopped clocks not breached.
            # The sweep marks running tickets only, so it never writes to this index.
            models.Index(
                fields=["resolution_deadline", "id"],
                name="ticket_paused_deadline_order",
                condition=Q(
                    sla_paused_at__isnull=False, response_breached_at__isnull=True, resolution_breached_at__isnull=True
                ),
            ),
            # The SLA sweep (tickets/sla_sweep.py): each partial index holds only the
            # tickets whose clock runs and that are not yet marked, so a sweep reads the
            # few that crossed their deadline, however many tickets are open.
            models.Index(
                fields=["response_deadline"],
                name="ticket_response_due",
                condition=Q(status__in=SLA_RUNNING, first_response_at__isnull=True, response_breached_at__isnull=True),
            ),
            models.Index(
                fields=["resolution_deadline"],
                name="ticket_resolution_due",
                condition=Q(status__in=SLA_RUNNING, resolution_breached_at__isnull=True),
            ),
            models.Index(
                fields=["resolution_at_risk_at"],
                name="ticket_at_risk_due",
                condition=Q(status__in=SLA_RUNNING, at_risk_notified_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class AuthorType(models.TextChoices):
    CUSTOMER = "CUSTOMER", "Customer (via partner)"
    AGENT = "AGENT", "Agent"
    SYSTEM = "SYSTEM", "System"


class Comment(models.Model):
    """A public reply, seen by the customer, or an internal note, seen only by the bank."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField()
    is_internal = models.BooleanField(default=False)
    author_type = models.CharField(max_length=16, choices=AuthorType.choices)
    author_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    author_name = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "is_internal", "created_at"], name="comment_ticket_visible")]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_internal=False) | Q(author_type="AGENT") | Q(author_type="SYSTEM"),
                name="comment_internal_only_from_bank",
            )
        ]

    def __str__(self) -> str:
        return f"{'Note' if self.is_internal else 'Reply'} on {self.ticket_id} by {self.author_name}"


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    # A random name: the partner's filename is kept in the row, never used as a path.
    return f"attachments/{instance.ticket.created_at:%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=255)
    filename = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=500, blank=True)
    uploaded_by_type = models.CharField(max_length=16, choices=AuthorType.choices)
    uploaded_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "CREATED"
    STATUS_CHANGED = "STATUS_CHANGED"
    PRIORITY_CHANGED = "PRIORITY_CHANGED"
    ASSIGNED = "ASSIGNED"
    COMMENT_ADDED = "COMMENT_ADDED"
    NOTE_ADDED = "NOTE_ADDED"
    ATTACHMENT_ADDED = "ATTACHMENT_ADDED"
    SLA_PAUSED = "SLA_PAUSED"
    SLA_RESUMED = "SLA_RESUMED"
    SLA_AT_RISK = "SLA_AT_RISK"
    SLA_RESPONSE_BREACHED = "SLA_RESPONSE_BREACHED"
    SLA_RESOLUTION_BREACHED = "SLA_RESOLUTION_BREACHED"
    CUSTOMER_DETAILS_VIEWED = "CUSTOMER_DETAILS_VIEWED"


class ActorType(models.TextChoices):
    PARTNER = "PARTNER"
    AGENT = "AGENT"
    SYSTEM = "SYSTEM"


class TicketEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Ticket events are append-only.")

    def delete(self):
        raise TypeError("Ticket events are append-only.")


class TicketEvent(models.Model):
    """Append-only record of every change to a ticket: who, when, from what, to what."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_partner = models.ForeignKey("apikeys.Partner", on_delete=models.SET_NULL, null=True, blank=True)
    actor_label = models.CharField(max_length=200)
    from_value = models.CharField(max_length=64, blank=True)
    to_value = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_value}→{self.to_value} by {self.actor_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Ticket events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Ticket events are append-only.")


class SlaPause(models.Model):
    """A stretch of time in which the ticket's SLA clock stood still; `ended_at` is empty
    while it still does. Deadlines are computed from the start, minus these."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=16, choices=TicketStatus.choices, help_text="The status that stopped it")

    class Meta:
        ordering = ["ticket", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(ended_at__isnull=True), name="sla_pause_one_open_per_ticket"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} paused {self.started_at} to {self.ended_at or 'now'} ({self.reason})"
