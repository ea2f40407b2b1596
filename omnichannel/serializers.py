"""Request and response bodies of the partner API, camelCase as the spec names them.
Every serializer is named explicitly so the OpenAPI components are stable."""

import binascii
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from omnichannel.fields import (
    CURRENCY_CODE,
    E164_PHONE,
    AmountField,
    EnumField,
    StrictBooleanField,
    StrictCharField,
    UtcDateTimeField,
    decode_base64,
    holds_unstorable_text,
)
from omnichannel.validation import missing_service_fields
from tickets import sla
from tickets.attachments import MAX_ATTACHMENT_BYTES, AttachmentRejected, inspect_file
from tickets.models import AuthorType, Branch, Channel, Language, Priority, ServiceType, TicketStatus
from tickets.priority import AMOUNT_FIELD_BY_SERVICE, CURRENCY_FIELD_BY_SERVICE
from tickets.services import CustomerData, NewAttachment, TicketDraft
from tickets.tracking import tracking_url
from webhooks.targets import UnsafeTarget, check_url

METADATA_MAX_BYTES = 16 * 1024
# Base64 grows data by 4/3; allow line breaks on top before refusing unread.
MAX_BASE64_CHARS = (MAX_ATTACHMENT_BYTES + 2) // 3 * 4 + MAX_ATTACHMENT_BYTES // 57 * 2 + 16


def optional_text(max_length: int, **kwargs) -> serializers.CharField:
    return StrictCharField(required=False, allow_blank=True, allow_null=True, max_length=max_length, **kwargs)


# ---------------------------------------------------------------- requests


class CustomerInputSerializer(serializers.Serializer):
    name = optional_text(200)
    email = serializers.EmailField(required=False, allow_blank=True, allow_null=True, max_length=254)
    phone = optional_text(16, validators=[E164_PHONE])
    identifier = optional_text(64)
    branchCode = optional_text(10)
    department = optional_text(120)
    preferredLanguage = EnumField(Language.choices, required=False, allow_null=True)

    def validate_branchCode(self, code):
        if not code:
            return None
        branch = Branch.objects.filter(code=code).first()
        if branch is None:
            raise serializers.ValidationError(f"Unknown branch code {code!r}.")
        return branch

    def validate(self, data):
        if not any(data.get(key) for key in ("name", "email", "phone", "identifier")):
            raise serializers.ValidationError("At least one of name, email, phone or identifier is required.")
        return data


class TicketMetadataInputSerializer(serializers.Serializer):
    """The metadata fields the desk understands. Other keys a partner sends are kept as
    they are (up to 16 KB in all) and shown to agents."""

    claimType = optional_text(64)
    claimAmount = AmountField(required=False, allow_null=True)
    claimCurrency = optional_text(3, validators=[CURRENCY_CODE])
    claimDate = serializers.DateTimeField(required=False, allow_null=True)
    claimReason = optional_text(1000)
    disputeAmount = AmountField(required=False, allow_null=True)
    disputeCurrency = optional_text(3, validators=[CURRENCY_CODE])
    disputeReason = optional_text(1000)
    transactionId = optional_text(128)
    referenceNumber = optional_text(128)
    atmId = optional_text(64)
    errorCode = optional_text(64)
    accountLocked = StrictBooleanField(required=False, allow_null=True)
    cannotAccess = StrictBooleanField(required=False, allow_null=True)
    urgent = StrictBooleanField(required=False, allow_null=True)
    escalated = StrictBooleanField(required=False, allow_null=True)
    customFields = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000), required=False, allow_empty=True
    )

    def validate_customFields(self, fields: dict) -> dict:
        if holds_unstorable_text(list(fields)):
            raise serializers.ValidationError("Field names may not hold NUL or unpaired surrogate characters.")
        return fields

    def to_internal_value(self, data):
        validated = super().to_internal_value(data)
        extra = {key: value for key, value in data.items() if key not in self.fields}
        if holds_unstorable_text(extra):
            raise serializers.ValidationError("Metadata may not hold NUL or unpaired surrogate characters.")
        try:
            size = len(json.dumps(extra, default=str))
        except (TypeError, ValueError, RecursionError):
            raise serializers.ValidationError("Metadata must be plain JSON.") from None
        if size > METADATA_MAX_BYTES:
            raise serializers.ValidationError(f"Metadata is larger than {METADATA_MAX_BYTES} bytes.")
        return {**extra, **{key: value for key, value in validated.items() if value is not None}}


class TicketInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    description = StrictCharField(max_length=20000)
    priority = EnumField(Priority.choices, required=False, allow_null=True)
    category = optional_text(64)
    metadata = TicketMetadataInputSerializer(required=False)


class AttachmentInputSerializer(serializers.Serializer):
    filename = StrictCharField(max_length=255)
    mimeType = StrictCharField(max_length=100)
    size = serializers.IntegerField(required=False, min_value=0, allow_null=True)
    content = StrictCharField(
        max_length=MAX_BASE64_CHARS,
        trim_whitespace=False,
        help_text=f"Base64 of the file; at most {MAX_ATTACHMENT_BYTES} bytes once decoded.",
    )
    description = optional_text(500)

    def validate(self, data):
        try:
            raw = decode_base64(data["content"])
        except (binascii.Error, ValueError):
            raise serializers.ValidationError({"content": "Content is not valid base64."}) from None
        try:
            inspected = inspect_file(
                data=raw, filename=data["filename"], declared_mime_type=data["mimeType"], declared_size=data.get("size")
            )
        except AttachmentRejected as exc:
            raise serializers.ValidationError({exc.field: exc.message}) from None
        return {"inspected": inspected, "bytes": raw, "description": data.get("description") or ""}


def attachment_list(**kwargs) -> serializers.ListSerializer:
    return AttachmentInputSerializer(many=True, max_length=settings.OMNICHANNEL_MAX_ATTACHMENTS_PER_REQUEST, **kwargs)


class IntegrationInputSerializer(serializers.Serializer):
    webhookUrl = serializers.URLField(required=False, allow_blank=True, allow_null=True, max_length=500)
    apiVersion = optional_text(10)
    partnerId = optional_text(64)
    requestId = optional_text(128)

    def validate_webhookUrl(self, url):
        if url:
            try:
                check_url(
                    url,
                    allow_http=settings.WEBHOOK_ALLOW_HTTP,
                    allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
                )
            except UnsafeTarget as refused:
                raise serializers.ValidationError(f"This URL cannot receive webhooks: {refused}.") from None
        return url


class TicketCreateRequestSerializer(serializers.Serializer):
    channel = EnumField(Channel.choices)
    channelReferenceId = optional_text(128)
    serviceType = EnumField(ServiceType.choices)
    customer = CustomerInputSerializer()
    ticket = TicketInputSerializer()
    attachments = attachment_list(required=False)
    integration = IntegrationInputSerializer(required=False)

    def validate(self, data):
        errors = missing_service_fields(data["serviceType"], data)
        if errors:
            raise serializers.ValidationError(errors)
        return data


UPDATE_ACTIONS = ["ADD_COMMENT", "UPDATE_STATUS", "ADD_ATTACHMENT"]


class TicketUpdateActionSerializer(serializers.Serializer):
    action = EnumField(UPDATE_ACTIONS)


class AddCommentRequestSerializer(TicketUpdateActionSerializer):
    comment = StrictCharField(max_length=10000)


class UpdateStatusRequestSerializer(TicketUpdateActionSerializer):
    status = EnumField(TicketStatus.choices)
    comment = optional_text(1000, help_text="Why the partner changes the status; kept in the ticket's history.")


class AddAttachmentRequestSerializer(TicketUpdateActionSerializer):
    attachments = attachment_list(min_length=1)


UPDATE_REQUEST_SERIALIZERS = {
    "ADD_COMMENT": AddCommentRequestSerializer,
    "UPDATE_STATUS": UpdateStatusRequestSerializer,
    "ADD_ATTACHMENT": AddAttachmentRequestSerializer,
}


# ---------------------------------------------------------------- responses


class ErrorResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=False)
    error = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(child=serializers.CharField(), help_text='{"dotted.path": "message"}')


class CommentSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    content = serializers.CharField(source="body")
    author = serializers.CharField(source="author_name")
    timestamp = UtcDateTimeField(source="created_at")
    isFromSupport = serializers.SerializerMethodField()

    def get_isFromSupport(self, comment) -> bool:
        return comment.author_type != AuthorType.CUSTOMER


class AttachmentSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    filename = serializers.CharField()
    mimeType = serializers.CharField(source="mime_type")
    size = serializers.IntegerField()
    uploadedAt = UtcDateTimeField(source="uploaded_at")


class TicketServiceSerializer(serializers.Serializer):
    type = serializers.CharField(source="service.service_type")
    name = serializers.CharField(source="service.name")
    supportGroup = serializers.CharField(source="support_group.name")


class BranchSerializer(serializers.Serializer):
    name = serializers.CharField()
    code = serializers.CharField()


class SlaSerializer(serializers.Serializer):
    responseDeadline = UtcDateTimeField(source="response_deadline")
    resolutionDeadline = UtcDateTimeField(source="resolution_deadline")
    isBreached = serializers.SerializerMethodField()
    isPaused = serializers.SerializerMethodField(
        help_text="True while the SLA clock stands still (PENDING, RESOLVED, CLOSED, CANCELLED)."
    )
    responseTimeLeftSeconds = serializers.SerializerMethodField(
        help_text="Seconds from now (or from when the clock stopped) to the response deadline; "
        "negative once overdue; null once an agent has replied."
    )
    resolutionTimeLeftSeconds = serializers.SerializerMethodField(
        help_text="Seconds from now (or from when the clock stopped) to the resolution deadline; "
        "negative once overdue; null once resolved."
    )

    def _now(self):
        return self.context.get("now") or timezone.now()

    def get_isBreached(self, ticket) -> bool:
        return sla.is_breached(
            now=self._now(),
            response_deadline=ticket.response_deadline,
            resolution_deadline=ticket.resolution_deadline,
            first_response_at=ticket.first_response_at,
            resolved_at=ticket.resolved_at,
            paused_at=ticket.sla_paused_at,
        )

    def get_isPaused(self, ticket) -> bool:
        return ticket.sla_paused_at is not None

    def get_responseTimeLeftSeconds(self, ticket) -> int | None:
        return sla.seconds_left(
            deadline_at=ticket.response_deadline,
            met_at=ticket.first_response_at,
            now=self._now(),
            paused_at=ticket.sla_paused_at,
        )

    def get_resolutionTimeLeftSeconds(self, ticket) -> int | None:
        return sla.seconds_left(
            deadline_at=ticket.resolution_deadline,
            met_at=ticket.resolved_at,
            now=self._now(),
            paused_at=ticket.sla_paused_at,
        )


def assignee_name(ticket) -> str | None:
    if ticket.assignee is None:
        return None
    return ticket.assignee.get_full_name() or ticket.assignee.get_username()


class TicketStatusSerializer(serializers.Serializer):
    """The status answer. Expects a ticket from tickets.selectors (public comments and
    attachments prefetched)."""

    ticketNumber = serializers.CharField(source="number")
    ticketId = serializers.CharField(source="public_id")
    channel = EnumField(Channel.choices)
    channelReferenceId = serializers.CharField(source="channel_reference_id")
    title = serializers.CharField()
    status = EnumField(TicketStatus.choices)
    priority = EnumField(Priority.choices)
    createdAt = UtcDateTimeField(source="created_at")
    updatedAt = UtcDateTimeField(source="updated_at")
    resolvedAt = UtcDateTimeField(source="resolved_at", allow_null=True)
    closedAt = UtcDateTimeField(source="closed_at", allow_null=True)
    currentAssignee = serializers.SerializerMethodField()
    service = TicketServiceSerializer(source="*")
    branch = BranchSerializer(allow_null=True)
    lastComment = serializers.SerializerMethodField()
    sla = SlaSerializer(source="*")
    comments = CommentSerializer(source="public_comments", many=True)
    attachments = AttachmentSerializer(source="attachment_list", many=True)

    def get_currentAssignee(self, ticket) -> str | None:
        return assignee_name(ticket)

    @extend_schema_field(CommentSerializer(allow_null=True))
    def get_lastComment(self, ticket):
        comments = ticket.public_comments
        return CommentSerializer(comments[-1]).data if comments else None


class TicketCreatedMetadataSerializer(serializers.Serializer):
    createdAt = UtcDateTimeField(source="created_at")
    assignedTo = serializers.SerializerMethodField(help_text='The agent\'s name, or "Support Team" while unassigned.')
    supportGroup = serializers.CharField(source="support_group.name")
    slaHours = serializers.SerializerMethodField(help_text="Resolution target in hours.")

    def get_assignedTo(self, ticket) -> str:
        return assignee_name(ticket) or "Support Team"

    def get_slaHours(self, ticket) -> float:
        return sla.hours(ticket.resolution_target_minutes)


class TicketCreatedSerializer(serializers.Serializer):
    success = serializers.SerializerMethodField()
    ticketNumber = serializers.CharField(source="number")
    ticketId = serializers.CharField(source="public_id")
    status = EnumField(TicketStatus.choices)
    estimatedResolution = UtcDateTimeField(source="resolution_deadline")
    trackingUrl = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()
    metadata = TicketCreatedMetadataSerializer(source="*")

    def get_success(self, ticket) -> bool:
        return True

    def get_trackingUrl(self, ticket) -> str:
        return tracking_url(number=ticket.number, public_id=ticket.public_id)

    def get_message(self, ticket) -> str:
        return "Ticket created successfully"


class TicketUpdateResultSerializer(serializers.Serializer):
    comment = CommentSerializer(required=False)
    previousStatus = EnumField(TicketStatus.choices, required=False)
    status = EnumField(TicketStatus.choices, required=False)
    attachments = AttachmentSerializer(many=True, required=False)


class TicketUpdatedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    ticketNumber = serializers.CharField()
    action = EnumField(UPDATE_ACTIONS)
    result = TicketUpdateResultSerializer()
    message = serializers.CharField()


class TicketBatchSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    count = serializers.IntegerField(help_text="Tickets matching the query, on all pages.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TicketStatusSerializer(many=True)


def _json_safe(value: dict) -> dict:
    # Amounts become strings and dates ISO-8601: exact, and storable in a JSON column.
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def ticket_draft(data: dict) -> TicketDraft:
    """The validated create request as the domain's TicketDraft."""
    customer = data["customer"]
    ticket = data["ticket"]
    metadata = ticket.get("metadata") or {}
    integration = data.get("integration") or {}
    amount_field = AMOUNT_FIELD_BY_SERVICE.get(data["serviceType"])
    currency_field = CURRENCY_FIELD_BY_SERVICE.get(data["serviceType"])
    amount = metadata.get(amount_field) if amount_field else None
    return TicketDraft(
        channel=data["channel"],
        channel_reference_id=data.get("channelReferenceId") or "",
        service_type=data["serviceType"],
        title=ticket["title"],
        description=ticket["description"],
        category=ticket.get("category") or "",
        requested_priority=ticket.get("priority") or "",
        amount=amount,
        amount_currency=(metadata.get(currency_field) or "IDR") if amount is not None else "",
        urgent=bool(metadata.get("urgent")),
        escalated=bool(metadata.get("escalated")),
        metadata=_json_safe(metadata),
        customer=CustomerData(
            name=customer.get("name") or "",
            email=customer.get("email") or "",
            phone=customer.get("phone") or "",
            identifier=customer.get("identifier") or "",
            branch=customer.get("branchCode"),
            department=customer.get("department") or "",
            preferred_language=customer.get("preferredLanguage") or "",
        ),
        attachments=new_attachments(data.get("attachments") or []),
        webhook_url=integration.get("webhookUrl") or "",
        api_version=integration.get("apiVersion") or "",
        request_id=integration.get("requestId") or "",
    )


def new_attachments(validated: list[dict]) -> list[NewAttachment]:
    return [
        NewAttachment(inspected=item["inspected"], content=item["bytes"], description=item["description"])
        for item in validated
    ]
