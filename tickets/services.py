"""Every write to a ticket goes through here, whoever makes it (partner API, admin,
command): one place that changes the rows and records the event in the same
transaction."""

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from tickets import number_allocation, sla, sla_clock, transitions
from tickets.actors import Actor
from tickets.attachments import InspectedFile
from tickets.errors import NotAnAgentOfTheGroup, ServiceNotConfigured, TicketFinal, TransitionNotAllowed
from tickets.models import (
    ActorType,
    Attachment,
    AuthorType,
    Branch,
    Comment,
    Customer,
    EventKind,
    Service,
    SlaPolicy,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from tickets.priority import PriorityInput, compute_priority
from webhooks import outbox, payloads
from webhooks.models import EventType

# An agent's workload for auto-assignment: the tickets still to be worked.
WORKLOAD_STATUSES = [TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.PENDING]


@dataclass(frozen=True)
class CustomerData:
    name: str = ""
    email: str = ""
    phone: str = ""
    identifier: str = ""
    branch: Branch | None = None
    department: str = ""
    preferred_language: str = ""


@dataclass(frozen=True)
class NewAttachment:
    inspected: InspectedFile
    content: bytes
    description: str = ""


@dataclass(frozen=True)
class TicketDraft:
    channel: str
    service_type: str
    title: str
    description: str
    customer: CustomerData
    channel_reference_id: str = ""
    category: str = ""
    requested_priority: str = ""
    amount: Decimal | None = None
    amount_currency: str = ""
    urgent: bool = False
    escalated: bool = False
    metadata: dict = field(default_factory=dict)
    attachments: list[NewAttachment] = field(default_factory=list)
    webhook_url: str = ""
    api_version: str = ""
    request_id: str = ""


@dataclass(frozen=True)
class StatusChange:
    ticket: Ticket
    from_status: str
    to_status: str


def _public_id() -> str:
    # Opaque and unguessable (about 120 random bits); never the database key.
    return "tkt_" + secrets.token_urlsafe(15)


def _record_event(
    *, ticket: Ticket, kind: str, actor: Actor, at: datetime, from_value: str = "", to_value: str = "", data=None
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor_type=actor.type,
        actor_user=actor.user,
        actor_partner=actor.partner,
        actor_label=actor.label[:200],
        from_value=from_value,
        to_value=to_value,
        data=data or {},
        created_at=at,
    )


def customer_upsert(*, data: CustomerData) -> Customer:
    """The customer for a new ticket: the one with the same identifier, updated with what
    this ticket says of them, or a new row when no identifier was sent."""
    values = {
        "name": data.name,
        "email": data.email,
        "phone": data.phone,
        "branch": data.branch,
        "department": data.department,
        "preferred_language": data.preferred_language,
    }
    sent = {key: value for key, value in values.items() if value}
    if not data.identifier:
        return Customer.objects.create(**sent)
    # One INSERT ... ON CONFLICT DO UPDATE: concurrent tickets for a new customer neither
    # collide nor wait, and only what this ticket sent overwrites what was known.
    (customer,) = Customer.objects.bulk_create(
        [Customer(identifier=data.identifier, **sent)],
        update_conflicts=True,
        unique_fields=["identifier"],
        update_fields=[*sent, "updated_at"],
    )
    unsent = [key for key in values if key not in sent]
    if unsent:
        # The upsert hands back what was sent; what was not comes from the stored row.
        customer.refresh_from_db(fields=unsent)
    return customer


def _service_and_targets(service_type: str, priority: str) -> tuple[Service, int, int]:
    policy = (
        SlaPolicy.objects.select_related("service__support_group")
        .filter(service__service_type=service_type, priority=priority)
        .first()
    )
    if policy is not None:
        return policy.service, policy.response_minutes, policy.resolution_minutes
    service = Service.objects.select_related("support_group").filter(service_type=service_type).first()
    if service is None:
        raise ServiceNotConfigured(service_type=service_type)
    # An admin who deleted a policy gets DESIGN.md's default rather than a refused ticket.
    return service, *sla.DEFAULT_TARGETS[priority]


def _store_attachments(
    *, ticket: Ticket, attachments: list[NewAttachment], actor: Actor, at: datetime
) -> list[Attachment]:
    rows = []
    for new in attachments:
        row = Attachment(
            ticket=ticket,
            filename=new.inspected.filename,
            mime_type=new.inspected.mime_type,
            size=new.inspected.size,
            sha256=new.inspected.sha256,
            description=new.description,
            uploaded_by_type=AuthorType.AGENT if actor.type == ActorType.AGENT else AuthorType.CUSTOMER,
            uploaded_by_user=actor.user,
            uploaded_at=at,
        )
        # Saved through Django's storage under a random name (see attachment_upload_to).
        row.file.save(new.inspected.filename, ContentFile(new.content), save=False)
        rows.append(row)
    Attachment.objects.bulk_create(rows)
    return rows


@transaction.atomic
def ticket_create(*, partner, api_key, draft: TicketDraft, now: datetime | None = None) -> Ticket:
    """Open a ticket. Its number and creation time are drawn together (see
    number_allocation), so numbers increase with creation time."""
    priority = compute_priority(
        PriorityInput(
            service_type=draft.service_type,
            requested=draft.requested_priority or None,
            amount=draft.amount,
            currency=draft.amount_currency or "IDR",
            urgent=draft.urgent,
            escalated=draft.escalated,
        ),
        rates_to_idr={code: Decimal(rate) for code, rate in settings.CURRENCY_RATES_TO_IDR.items()},
    )
    service, response_minutes, resolution_minutes = _service_and_targets(draft.service_type, priority)
    number, now = number_allocation.allocate_number(now)
    deadlines = sla.compute_deadlines(
        start=now,
        response_minutes=response_minutes,
        resolution_minutes=resolution_minutes,
        calendar=sla_clock.calendar_for(service),
    )
    customer = customer_upsert(data=draft.customer)
    ticket = Ticket.objects.create(
        number=number,
        public_id=_public_id(),
        partner=partner,
        api_key=api_key,
        channel=draft.channel,
        channel_reference_id=draft.channel_reference_id,
        request_id=draft.request_id,
        service=service,
        support_group=service.support_group,
        branch=draft.customer.branch,
        customer=customer,
        title=draft.title,
        description=draft.description,
        category=draft.category,
        requested_priority=draft.requested_priority,
        priority=priority,
        status=TicketStatus.OPEN,
        amount=draft.amount,
        amount_currency=draft.amount_currency,
        metadata=draft.metadata,
        webhook_url=draft.webhook_url,
        api_version=draft.api_version,
        preferred_language=draft.customer.preferred_language or customer.preferred_language,
        response_target_minutes=response_minutes,
        resolution_target_minutes=resolution_minutes,
        response_deadline=deadlines.response,
        resolution_deadline=deadlines.resolution,
        resolution_at_risk_at=deadlines.resolution_at_risk,
        created_at=now,
        updated_at=now,
    )
    actor = Actor.for_partner(partner)
    if settings.AUTO_ASSIGN_TICKETS:
        ticket.assignee = _least_loaded_agent(service.support_group)
        if ticket.assignee is not None:
            ticket.save(update_fields=["assignee"])
    _record_event(
        ticket=ticket,
        kind=EventKind.CREATED,
        actor=actor,
        at=now,
        to_value=TicketStatus.OPEN,
        data={"priority": priority, "channel": draft.channel, "serviceType": draft.service_type},
    )
    if draft.attachments:
        _store_attachments(ticket=ticket, attachments=draft.attachments, actor=actor, at=now)
    outbox.enqueue(ticket=ticket, event=EventType.TICKET_CREATED, data=payloads.created_data(ticket), at=now)
    return ticket


# What a change may read and write; refreshed from the locked row.
_MUTABLE_FIELDS = [
    "status",
    "assignee_id",  # setting the id drops a cached assignee that no longer holds
    "priority",
    "resolved_at",
    "closed_at",
    "cancelled_at",
    "first_response_at",
    "response_target_minutes",
    "resolution_target_minutes",
    "response_deadline",
    "resolution_deadline",
    "resolution_at_risk_at",
    "sla_paused_at",
    "response_breached_at",
    "resolution_breached_at",
    "at_risk_notified_at",
]


def _least_loaded_agent(group):
    """The active agent of the group with the fewest tickets still to work (OPEN,
    IN_PROGRESS, PENDING), the longest-standing account first on a tie; None without agents."""
    return (
        group.agents.filter(is_active=True)
        .annotate(load=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=WORKLOAD_STATUSES)))
        .order_by("load", "pk")
        .first()
    )


def _lock(ticket: Ticket) -> Ticket:
    # Lock the ticket row for the rest of the transaction so that two concurrent changes
    # (a partner's cancel and an agent's resolve, the SLA sweep) apply one after the other.
    locked = Ticket.objects.select_for_update().only(*_MUTABLE_FIELDS, "assignee").get(pk=ticket.pk)
    for name in _MUTABLE_FIELDS:
        setattr(ticket, name, getattr(locked, name))
    return ticket


def _record_breaches(ticket: Ticket, fields: list[str], at: datetime) -> None:
    kinds = {
        "response_breached_at": EventKind.SLA_RESPONSE_BREACHED,
        "resolution_breached_at": EventKind.SLA_RESOLUTION_BREACHED,
    }
    for name in fields:
        if name in kinds:
            deadline = getattr(ticket, name)
            _record_event(
                ticket=ticket, kind=kinds[name], actor=Actor.system(), at=at, data={"deadline": deadline.isoformat()}
            )


def _touch(ticket: Ticket, now: datetime, *fields: str) -> None:
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "updated_at"])


def _deadlines_data(ticket: Ticket) -> dict:
    return {
        "responseDeadline": ticket.response_deadline.isoformat(),
        "resolutionDeadline": ticket.resolution_deadline.isoformat(),
    }


@transaction.atomic
def ticket_change_priority(
    *, ticket: Ticket, priority: str, actor: Actor, reason: str = "", now: datetime | None = None
) -> Ticket:
    """Give the ticket another priority: the targets of its service at that priority, and
    deadlines recomputed from the original start with the paused time kept out."""
    now = now or timezone.now()
    _lock(ticket)
    _refuse_if_final(ticket)
    current = ticket.priority
    if priority == current:
        return ticket
    _service, response_minutes, resolution_minutes = _service_and_targets(ticket.service.service_type, priority)
    ticket.priority = priority
    ticket.response_target_minutes = response_minutes
    ticket.resolution_target_minutes = resolution_minutes
    changed = ["priority", "response_target_minutes", "resolution_target_minutes"]
    changed += sla_clock.recompute(ticket, now=now)
    changed += sla_clock.unmark_what_no_longer_holds(ticket, now=now)
    breaches = sla_clock.breaches_to_mark(ticket, now=now)
    changed += breaches
    _touch(ticket, now, *changed)
    _record_event(
        ticket=ticket,
        kind=EventKind.PRIORITY_CHANGED,
        actor=actor,
        at=now,
        from_value=current,
        to_value=priority,
        data={**_deadlines_data(ticket), **({"reason": reason} if reason else {})},
    )
    _record_breaches(ticket, breaches, now)
    return ticket


@transaction.atomic
def ticket_change_status(
    *, ticket: Ticket, to_status: str, actor: Actor, reason: str = "", now: datetime | None = None
) -> StatusChange:
    """Move the ticket to `to_status` if the status machine lets this actor do it."""
    now = now or timezone.now()
    _lock(ticket)
    current = ticket.status
    if actor.type == ActorType.PARTNER:
        allowed, permitted = transitions.allowed_for_partner(current), transitions.partner_may(current, to_status)
    else:
        allowed, permitted = transitions.allowed_for_agent(current), transitions.agent_may(current, to_status)
    if not permitted:
        raise TransitionNotAllowed(current=current, requested=to_status, allowed=allowed)

    ticket.status = to_status
    changed = ["status"]
    if to_status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
        changed.append("resolved_at")
    elif to_status == TicketStatus.CLOSED:
        ticket.closed_at = now
        changed.append("closed_at")
    elif to_status == TicketStatus.CANCELLED:
        ticket.cancelled_at = now
        changed.append("cancelled_at")
    if current == TicketStatus.RESOLVED and to_status in (TicketStatus.OPEN, TicketStatus.IN_PROGRESS):
        ticket.resolved_at = None  # reopened: the resolution no longer stands
        changed.append("resolved_at")

    # The SLA clock: a deadline passed before the clock stops is a breach (the sweep may
    # not have run since); it stops in PENDING, RESOLVED and the final statuses, and on
    # restarting the deadlines move out by the time it stood still.
    clock_event = None
    breaches = []
    if sla_clock.is_running(current) and not sla_clock.is_running(to_status):
        breaches = sla_clock.breaches_to_mark(ticket, now=now)
        changed += breaches + sla_clock.stop(ticket, now=now, reason=to_status)
        clock_event = (EventKind.SLA_PAUSED, {"reason": to_status})
    elif not sla_clock.is_running(current) and sla_clock.is_running(to_status):
        changed += sla_clock.restart(ticket, now=now)
        clock_event = (EventKind.SLA_RESUMED, _deadlines_data(ticket))
    _touch(ticket, now, *changed)
    _record_event(
        ticket=ticket,
        kind=EventKind.STATUS_CHANGED,
        actor=actor,
        at=now,
        from_value=current,
        to_value=to_status,
        data={"reason": reason} if reason else {},
    )
    _record_breaches(ticket, breaches, now)
    if clock_event is not None:
        _record_event(ticket=ticket, kind=clock_event[0], actor=Actor.system(), at=now, data=clock_event[1])
    outbox.enqueue(
        ticket=ticket,
        event=payloads.status_event(to_status),
        data=payloads.status_data(old_status=current, new_status=to_status, comment=reason),
        at=now,
    )
    return StatusChange(ticket=ticket, from_status=current, to_status=to_status)


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee, actor: Actor, now: datetime | None = None) -> Ticket:
    """Give the ticket to an active agent of its support group, or to nobody (None)."""
    now = now or timezone.now()
    _lock(ticket)
    _refuse_if_final(ticket)
    if assignee is not None and not ticket.support_group.agents.filter(pk=assignee.pk, is_active=True).exists():
        raise NotAnAgentOfTheGroup(user=assignee, group=ticket.support_group)
    previous = ticket.assignee
    if previous == assignee:
        return ticket
    ticket.assignee = assignee
    _touch(ticket, now, "assignee")
    _record_event(
        ticket=ticket,
        kind=EventKind.ASSIGNED,
        actor=actor,
        at=now,
        from_value=previous.get_username() if previous else "",
        to_value=assignee.get_username() if assignee else "",
    )
    return ticket


def customer_details_viewed(*, ticket: Ticket, actor: Actor, now: datetime | None = None) -> None:
    """Record that someone of the bank looked at the customer's full contact details."""
    _record_event(ticket=ticket, kind=EventKind.CUSTOMER_DETAILS_VIEWED, actor=actor, at=now or timezone.now())


def _refuse_if_final(ticket: Ticket) -> None:
    if transitions.is_final(ticket.status):
        raise TicketFinal(status=ticket.status)


@transaction.atomic
def comment_add(
    *, ticket: Ticket, body: str, actor: Actor, internal: bool = False, now: datetime | None = None
) -> Comment:
    """A public reply or, from the bank's side only, an internal note. An agent's first
    public reply meets the response target."""
    now = now or timezone.now()
    _lock(ticket)
    _refuse_if_final(ticket)
    if internal and actor.type == ActorType.PARTNER:
        raise ValueError("Partners cannot write internal notes.")
    author_type = {ActorType.PARTNER: AuthorType.CUSTOMER, ActorType.AGENT: AuthorType.AGENT}.get(
        actor.type, AuthorType.SYSTEM
    )
    comment = Comment.objects.create(
        ticket=ticket,
        body=body,
        is_internal=internal,
        author_type=author_type,
        author_user=actor.user,
        author_name="Customer" if author_type == AuthorType.CUSTOMER else actor.label,
        created_at=now,
    )
    changed = []
    breaches = []
    if author_type == AuthorType.AGENT and not internal and ticket.first_response_at is None:
        ticket.first_response_at = now
        breaches = sla_clock.late_response(ticket, now=now)
        changed += ["first_response_at", *breaches]
    _touch(ticket, now, *changed)
    _record_breaches(ticket, breaches, now)
    _record_event(
        ticket=ticket,
        kind=EventKind.NOTE_ADDED if internal else EventKind.COMMENT_ADDED,
        actor=actor,
        at=now,
        data={"commentId": str(comment.public_id)},
    )
    # The partner hears of the bank's public replies; never of internal notes, and never
    # its own comments echoed back.
    if not internal and author_type != AuthorType.CUSTOMER:
        outbox.enqueue(ticket=ticket, event=EventType.COMMENT_ADDED, data=payloads.comment_data(comment), at=now)
    return comment


@transaction.atomic
def attachments_add(
    *, ticket: Ticket, attachments: list[NewAttachment], actor: Actor, now: datetime | None = None
) -> list[Attachment]:
    now = now or timezone.now()
    _lock(ticket)
    _refuse_if_final(ticket)
    rows = _store_attachments(ticket=ticket, attachments=attachments, actor=actor, at=now)
    _touch(ticket, now)
    for row in rows:
        _record_event(
            ticket=ticket,
            kind=EventKind.ATTACHMENT_ADDED,
            actor=actor,
            at=now,
            data={"attachmentId": str(row.public_id), "filename": row.filename},
        )
    return rows
