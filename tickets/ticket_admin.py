"""The agent console's ticket list and ticket page (Django admin).

Agents see only the tickets of their support groups (tickets.selectors.tickets_visible_to),
in the list, the page, the actions and the attachment downloads alike: a ticket outside
them is a 404 wherever it is asked for. Every change goes through tickets.services, so an
agent's reply or status change records the same events and sends the same webhooks as a
partner's API call. Status is never a form field: the page offers the transitions the
status machine allows from where the ticket is.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from tickets import presentation, selectors, sla, transitions
from tickets.actors import Actor
from tickets.attachments import MAX_ATTACHMENT_BYTES, AttachmentRejected, inspect_file
from tickets.errors import DomainError
from tickets.models import Attachment, Comment, Customer, EventKind, Ticket, TicketEvent, TicketStatus
from tickets.services import (
    NewAttachment,
    attachments_add,
    comment_add,
    customer_details_viewed,
    ticket_assign,
    ticket_change_status,
)
from webhooks.models import Delivery

_ROW_ID = re.compile(r"[0-9]{1,18}")
QUEUE_STATUSES = [TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.PENDING]
# Counting stops here: a page of a million rows must not COUNT them all.
COUNT_CAP = 1_000
# The most rows one exact search term brings in (a reference shared by many tickets).
EXACT_LIMIT = 1_000
STATUS_COLOURS = {
    "OPEN": "#1f6feb",
    "IN_PROGRESS": "#8250df",
    "PENDING": "#bf8700",
    "RESOLVED": "#1a7f37",
    "CLOSED": "#57606a",
    "CANCELLED": "#57606a",
}
PRIORITY_COLOURS = {"LOW": "#57606a", "MEDIUM": "#1f6feb", "HIGH": "#bc4c00", "CRITICAL": "#cf222e"}
SLA_COLOURS = {"breached": "#cf222e", "at_risk": "#bc4c00", "paused": "#57606a", "on_track": "#1a7f37"}


def is_row_id(value: str) -> bool:
    """ASCII digits that fit a database id (str.isdigit() also takes "²", and int() refuses
    thousands of digits)."""
    return bool(_ROW_ID.fullmatch(value))


def badge(text: str, colour: str):
    return format_html('<span class="sd-badge" style="background:{}">{}</span>', colour, text)


class CappedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()


class QueueFilter(admin.SimpleListFilter):
    """Status, defaulting to the queue still to be worked (OPEN, IN_PROGRESS, PENDING)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("all", "All"), *[(status.value, status.label) for status in TicketStatus]]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Open queue",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset.filter(status__in=QUEUE_STATUSES)
        if self.value() == "all":
            return queryset
        return queryset.filter(status=self.value())


class SlaStateFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [(state.value, state.value.replace("_", " ")) for state in sla.SlaState]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            state = sla.SlaState(self.value())
        except ValueError:
            raise IncorrectLookupParameters(f"Unknown SLA state {self.value()!r}") from None
        return queryset.filter(selectors.sla_state_condition(state, now=timezone.now()))


class AssigneeFilter(admin.SimpleListFilter):
    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        agents = selectors.agents_visible_to(request.user)
        return [
            ("me", "Me"),
            ("none", "Unassigned"),
            *[(str(agent.pk), agent.get_full_name() or agent.get_username()) for agent in agents],
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == "me":
            return queryset.filter(assignee=request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if is_row_id(value):
            return queryset.filter(assignee_id=int(value))
        return queryset.none()


class SupportGroupFilter(admin.SimpleListFilter):
    """Only the groups whose tickets the user sees: an agent neither learns the other
    teams' names nor asks for a group outside their own (which no index could answer
    fast, since nothing would match)."""

    title = "support group"
    parameter_name = "support_group"

    def lookups(self, request, model_admin):
        return [(str(group.pk), group.name) for group in selectors.groups_visible_to(request.user)]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if is_row_id(value) and selectors.groups_visible_to(request.user).filter(pk=int(value)).exists():
            return queryset.filter(support_group_id=int(value))
        return queryset.none()


def sla_text(ticket: Ticket, now) -> tuple[str, str]:
    """(state, what agents read) for a ticket: state, then time left or overdue."""
    state = sla.state_of(ticket, now)
    left = sla.seconds_left(
        deadline_at=ticket.resolution_deadline, met_at=ticket.resolved_at, now=now, paused_at=ticket.sla_paused_at
    )
    label = state.value.replace("_", " ")
    if left is None:
        return state.value, f"{label}, resolved"
    return state.value, f"{label}, {presentation.duration(left)} {'left' if left >= 0 else 'overdue'}"


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=10_000, required=False)
    internal = forms.BooleanField(required=False, label="Internal note (never shown to the customer)")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("body", "").strip() and not self.files.getlist("files"):
            raise forms.ValidationError("Write a reply or attach a file.")
        return cleaned


class AssignToAgentForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label="Agent")

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents


class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "title",
        "customer_name",
        "service",
        "channel",
        "priority_badge",
        "status_badge",
        "assignee",
        "sla_badge",
        "created_at",
    ]
    list_display_links = ["number", "title"]
    list_filter = [
        QueueFilter,
        "priority",
        SlaStateFilter,
        AssigneeFilter,
        "service__service_type",
        "channel",
        SupportGroupFilter,
        "branch",
    ]
    search_fields = ["number"]  # shows the box; get_search_results decides what matches
    search_help_text = "Ticket number, channel reference, CIF, e-mail, phone, or words of the title or name"
    list_select_related = ["service", "customer", "assignee"]
    # Most urgent first: the resolution deadline, the earliest (or most overdue) on top.
    ordering = ["resolution_deadline", "pk"]
    list_per_page = 100
    paginator = CappedCountPaginator
    show_full_result_count = False
    actions = [
        "assign_to_me",
        "assign_to_agent",
        "set_in_progress",
        "set_pending",
        "set_resolved",
        "set_closed",
        "set_cancelled",
    ]
    change_form_template = "admin/tickets/ticket/ticket_page.html"
    change_list_template = "admin/tickets/ticket/change_list.html"

    # --- who sees what -------------------------------------------------------------

    def get_queryset(self, request):
        return selectors.tickets_visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # tickets come from partners (the API) only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _visible_ticket(self, request, ticket_id) -> Ticket:
        if not self.has_view_permission(request):
            raise Http404
        return get_object_or_404(self.get_queryset(request).select_related("support_group", "service"), pk=ticket_id)

    def _workable_ticket(self, request, ticket_id) -> Ticket:
        ticket = self._visible_ticket(request, ticket_id)
        if not self.has_change_permission(request, ticket):
            raise Http404
        return ticket

    # --- the list --------------------------------------------------------------------

    @admin.display(description="Customer", ordering="customer__name")
    def customer_name(self, ticket: Ticket) -> str:
        return ticket.customer.name or ticket.customer.identifier or "-"

    @admin.display(description="Priority", ordering="priority")
    def priority_badge(self, ticket: Ticket):
        return badge(ticket.get_priority_display(), PRIORITY_COLOURS[ticket.priority])

    @admin.display(description="Status", ordering="status")
    def status_badge(self, ticket: Ticket):
        return badge(ticket.get_status_display(), STATUS_COLOURS[ticket.status])

    @admin.display(description="SLA due", ordering="resolution_deadline")
    def sla_badge(self, ticket: Ticket):
        state, text = sla_text(ticket, timezone.now())
        return badge(text, SLA_COLOURS[state])

    def get_search_results(self, request, queryset, search_term):
        """Exact matches first, each looked up through its own index (a number, a
        reference, a CIF, an e-mail, a phone); only when nothing matches exactly, words of
        the title or the customer's name (a scan: the slow path, for the rare search)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        phone = term.replace(" ", "").replace("-", "")
        customers = Customer.objects.filter(identifier=term).values_list("pk", flat=True)[:EXACT_LIMIT]
        customer_ids = {*customers, *Customer.objects.filter(phone=phone).values_list("pk", flat=True)[:EXACT_LIMIT]}
        if "@" in term:
            customer_ids |= set(Customer.objects.filter(email__iexact=term).values_list("pk", flat=True)[:EXACT_LIMIT])
        ticket_ids = {
            *Ticket.objects.filter(number=term.upper()).values_list("pk", flat=True),
            *Ticket.objects.filter(channel_reference_id=term).values_list("pk", flat=True)[:EXACT_LIMIT],
        }
        exact = Q(pk__in=ticket_ids) | Q(customer_id__in=customer_ids)
        if ticket_ids or customer_ids or len(term) < 3:
            return queryset.filter(exact), False
        return queryset.filter(Q(title__icontains=term) | Q(customer__name__icontains=term)), False

    # --- the ticket page -------------------------------------------------------------

    def get_urls(self):
        own = [
            path("<int:ticket_id>/reply/", self.admin_site.admin_view(self.reply_view), name="tickets_ticket_reply"),
            path("<int:ticket_id>/status/", self.admin_site.admin_view(self.status_view), name="tickets_ticket_status"),
            path("<int:ticket_id>/assign/", self.admin_site.admin_view(self.assign_view), name="tickets_ticket_assign"),
            path(
                "<int:ticket_id>/customer/",
                self.admin_site.admin_view(self.customer_view),
                name="tickets_ticket_customer",
            ),
            path(
                "<int:ticket_id>/attachments/<uuid:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="tickets_ticket_attachment",
            ),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method != "GET":
            return HttpResponseRedirect(request.path)  # changes go through the action views
        return self._render_page(request, object_id)

    def _render_page(self, request, ticket_id, *, show_contact=False, reply_form=None, status=200):
        if not is_row_id(str(ticket_id)):
            raise Http404
        ticket = self._visible_ticket(request, ticket_id)
        ticket = Ticket.objects.select_related(
            "customer", "customer__branch", "service", "support_group", "branch", "assignee", "partner"
        ).get(pk=ticket.pk)
        now = timezone.now()
        sla_state, sla_summary = sla_text(ticket, now)
        can_work = self.has_change_permission(request, ticket) and not transitions.is_final(ticket.status)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{ticket.number} {ticket.title}",
            "subtitle": None,
            "opts": self.opts,
            "ticket": ticket,
            "original": ticket,
            "has_view_permission": True,
            "status_badge": badge(ticket.get_status_display(), STATUS_COLOURS[ticket.status]),
            "priority_badge": badge(ticket.get_priority_display(), PRIORITY_COLOURS[ticket.priority]),
            "sla_badge": badge(sla_summary, SLA_COLOURS[sla_state]),
            "sla": self._sla_rows(ticket, now),
            "customer": self._customer_card(ticket, show_contact),
            "metadata_rows": presentation.metadata_rows(ticket.metadata),
            "timeline": self._timeline(ticket),
            "attachments": list(ticket.attachments.order_by("uploaded_at", "pk")),
            "can_work": can_work,
            "transitions": [
                (status, button_label(ticket.status, status)) for status in transitions.allowed_for_agent(ticket.status)
            ]
            if can_work
            else [],
            "agents": list(selectors.assignable_agents(ticket)) if can_work else [],
            "reply_form": reply_form or ReplyForm(),
            "max_attachment_mb": MAX_ATTACHMENT_BYTES // (1024 * 1024),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.change_form_template, context, status=status)

    def _sla_rows(self, ticket: Ticket, now) -> list[tuple[str, str, str]]:
        rows = []
        for label, deadline_at, met_at in [
            ("First response", ticket.response_deadline, ticket.first_response_at),
            ("Resolution", ticket.resolution_deadline, ticket.resolved_at),
        ]:
            left = sla.seconds_left(deadline_at=deadline_at, met_at=met_at, now=now, paused_at=ticket.sla_paused_at)
            if met_at is not None:
                state = f"met {timezone.localtime(met_at):%Y-%m-%d %H:%M}"
            elif left >= 0:
                state = f"{presentation.duration(left)} left"
            else:
                state = f"{presentation.duration(left)} overdue"
            rows.append((label, f"{timezone.localtime(deadline_at):%Y-%m-%d %H:%M}", state))
        return rows

    def _customer_card(self, ticket: Ticket, show_contact: bool) -> dict:
        customer = ticket.customer
        return {
            "name": customer.name,
            "identifier": customer.identifier or "",
            "email": customer.email if show_contact else presentation.mask_email(customer.email),
            "phone": customer.phone if show_contact else presentation.mask_phone(customer.phone),
            "branch": customer.branch,
            "department": customer.department,
            "shown": show_contact,
            "has_contact": bool(customer.email or customer.phone),
        }

    def _timeline(self, ticket: Ticket) -> list[dict]:
        """Comments, events and webhook deliveries as one list, oldest first."""
        entries = []
        for comment in Comment.objects.filter(ticket=ticket).order_by("created_at", "pk"):
            entries.append(
                {
                    "at": comment.created_at,
                    "kind": "note" if comment.is_internal else "reply",
                    "who": comment.author_name,
                    "text": comment.body,
                }
            )
        skipped = {EventKind.COMMENT_ADDED, EventKind.NOTE_ADDED}  # shown as the comments themselves
        for event in TicketEvent.objects.filter(ticket=ticket).exclude(kind__in=skipped).order_by("created_at", "pk"):
            entries.append({"at": event.created_at, "kind": "event", "who": event.actor_label, "text": describe(event)})
        for delivery in Delivery.objects.filter(ticket=ticket).order_by("sequence"):
            entries.append(
                {
                    "at": delivery.created_at,
                    "kind": "webhook",
                    "who": "Webhook",
                    "text": f"{delivery.event} #{delivery.sequence}: {delivery.get_status_display().lower()}, "
                    f"{delivery.attempt_count} attempt(s)"
                    + (f", last answer {delivery.last_status_code}" if delivery.last_status_code else ""),
                    "link": reverse("admin:webhooks_delivery_change", args=[delivery.pk]),
                }
            )
        order = {"event": 0, "reply": 1, "note": 1, "webhook": 2}
        return sorted(entries, key=lambda entry: (entry["at"], order[entry["kind"]]))

    # --- the page's actions ----------------------------------------------------------

    def _back(self, ticket: Ticket):
        return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))

    def reply_view(self, request, ticket_id):
        if request.method != "POST":
            raise Http404
        ticket = self._workable_ticket(request, ticket_id)
        form = ReplyForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render_page(request, ticket.pk, reply_form=form, status=400)
        actor = Actor.for_agent(request.user)
        try:
            new_files = [self._inspected(upload) for upload in request.FILES.getlist("files")]
            with transaction.atomic():
                if form.cleaned_data["body"].strip():
                    comment_add(
                        ticket=ticket,
                        body=form.cleaned_data["body"].strip(),
                        actor=actor,
                        internal=form.cleaned_data["internal"],
                    )
                if new_files:
                    attachments_add(ticket=ticket, attachments=new_files, actor=actor)
        except AttachmentRejected as rejected:
            form.add_error(None, f"{rejected.message}")
            return self._render_page(request, ticket.pk, reply_form=form, status=400)
        except DomainError as refused:
            messages.error(request, refused.message)
            return self._back(ticket)
        messages.success(request, "Internal note added." if form.cleaned_data["internal"] else "Reply sent.")
        return self._back(ticket)

    @staticmethod
    def _inspected(upload) -> NewAttachment:
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise AttachmentRejected("content", f"{upload.name} is larger than {MAX_ATTACHMENT_BYTES} bytes.")
        data = upload.read()
        inspected = inspect_file(
            data=data,
            filename=upload.name,
            declared_mime_type=upload.content_type or "application/octet-stream",
            declared_size=len(data),
        )
        return NewAttachment(inspected=inspected, content=data)

    def status_view(self, request, ticket_id):
        if request.method != "POST":
            raise Http404
        ticket = self._workable_ticket(request, ticket_id)
        try:
            change = ticket_change_status(
                ticket=ticket,
                to_status=request.POST.get("status", ""),
                actor=Actor.for_agent(request.user),
                reason=request.POST.get("reason", "")[:500],
            )
        except (DomainError, KeyError) as refused:
            text = refused.message if isinstance(refused, DomainError) else "Unknown status."
            messages.error(request, text)
        else:
            messages.success(request, f"{ticket.number}: {change.from_status} → {change.to_status}.")
        return self._back(ticket)

    def assign_view(self, request, ticket_id):
        if request.method != "POST":
            raise Http404
        ticket = self._workable_ticket(request, ticket_id)
        choice = request.POST.get("assignee", "")
        if choice == "me":
            assignee = request.user
        elif choice == "":
            assignee = None
        elif is_row_id(choice):
            assignee = selectors.assignable_agents(ticket).filter(pk=int(choice)).first()
            if assignee is None:
                messages.error(request, "That agent does not work this ticket's support group.")
                return self._back(ticket)
        else:
            raise Http404
        try:
            ticket_assign(ticket=ticket, assignee=assignee, actor=Actor.for_agent(request.user))
        except DomainError as refused:
            messages.error(request, refused.message)
        else:
            who = assignee.get_full_name() or assignee.get_username() if assignee else "nobody"
            messages.success(request, f"{ticket.number} assigned to {who}.")
        return self._back(ticket)

    def customer_view(self, request, ticket_id):
        """Show the customer's contact details in full, and record who looked."""
        if request.method != "POST":
            raise Http404
        ticket = self._visible_ticket(request, ticket_id)
        customer_details_viewed(ticket=ticket, actor=Actor.for_agent(request.user))
        return self._render_page(request, ticket.pk, show_contact=True)

    def attachment_view(self, request, ticket_id, attachment_id):
        ticket = self._visible_ticket(request, ticket_id)
        attachment = get_object_or_404(Attachment, ticket=ticket, public_id=attachment_id)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.filename,
            content_type="application/octet-stream",
        )
        # Never rendered by the browser, whatever the bytes are.
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response

    # --- bulk actions ----------------------------------------------------------------

    @admin.action(description="Assign the selected tickets to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._assign_all(request, queryset, request.user)

    @admin.action(description="Assign the selected tickets to an agent…", permissions=["change"])
    def assign_to_agent(self, request, queryset):
        tickets = list(queryset.select_related("support_group"))
        group_ids = {ticket.support_group_id for ticket in tickets}
        agents = get_user_model().objects.filter(is_active=True)
        for group_id in group_ids:  # an agent of every selected ticket's group
            agents = agents.filter(support_groups=group_id)
        agents = agents.order_by("first_name", "username")
        if "apply" in request.POST:
            form = AssignToAgentForm(request.POST, agents=agents)
            if form.is_valid():
                self._assign_all(request, queryset, form.cleaned_data["assignee"])
                return None
        else:
            form = AssignToAgentForm(agents=agents)
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign tickets to an agent",
            "opts": self.opts,
            "tickets": tickets,
            "form": form,
            "no_common_agent": not agents.exists(),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/tickets/ticket/assign_to_agent.html", context)

    def _assign_all(self, request, queryset, assignee) -> None:
        actor = Actor.for_agent(request.user)
        try:
            with transaction.atomic():
                for ticket in queryset.select_related("support_group"):
                    ticket_assign(ticket=ticket, assignee=assignee, actor=actor)
        except DomainError as refused:
            self.message_user(request, f"Nothing was assigned: {refused.message}", messages.ERROR)
            return
        who = assignee.get_full_name() or assignee.get_username()
        self.message_user(request, f"{queryset.count()} ticket(s) assigned to {who}.")

    def _set_status(self, request, queryset, to_status: str) -> None:
        """All or nothing: when any selected ticket may not move, none moves, and the
        message names each one and why."""
        tickets = list(queryset.order_by("number"))
        refused = [
            f"{ticket.number} is {ticket.status} (allowed: {_allowed_text(ticket.status)})"
            for ticket in tickets
            if not transitions.agent_may(ticket.status, to_status)
        ]
        if refused:
            self.message_user(
                request, f"No ticket was changed. Cannot set {to_status} for: {'; '.join(refused)}.", messages.ERROR
            )
            return
        actor = Actor.for_agent(request.user)
        try:
            with transaction.atomic():
                for ticket in tickets:
                    ticket_change_status(ticket=ticket, to_status=to_status, actor=actor)
        except DomainError as error:  # a ticket changed under us since the check
            self.message_user(request, f"No ticket was changed: {error.message}", messages.ERROR)
            return
        self.message_user(request, f"{len(tickets)} ticket(s) set to {to_status}.")

    @admin.action(description="Set the selected tickets IN PROGRESS", permissions=["change"])
    def set_in_progress(self, request, queryset):
        self._set_status(request, queryset, TicketStatus.IN_PROGRESS)

    @admin.action(description="Set the selected tickets PENDING (waiting on the customer)", permissions=["change"])
    def set_pending(self, request, queryset):
        self._set_status(request, queryset, TicketStatus.PENDING)

    @admin.action(description="Resolve the selected tickets", permissions=["change"])
    def set_resolved(self, request, queryset):
        self._set_status(request, queryset, TicketStatus.RESOLVED)

    @admin.action(description="Close the selected tickets", permissions=["change"])
    def set_closed(self, request, queryset):
        self._set_status(request, queryset, TicketStatus.CLOSED)

    @admin.action(description="Cancel the selected tickets", permissions=["change"])
    def set_cancelled(self, request, queryset):
        self._set_status(request, queryset, TicketStatus.CANCELLED)


# What a status button does, said as an action.
_BUTTON_LABELS = {
    TicketStatus.IN_PROGRESS: "Start work",
    TicketStatus.PENDING: "Wait on customer",
    TicketStatus.RESOLVED: "Resolve",
    TicketStatus.CLOSED: "Close",
    TicketStatus.CANCELLED: "Cancel ticket",
}


def button_label(current: str, target: str) -> str:
    if current == TicketStatus.RESOLVED and target == TicketStatus.IN_PROGRESS:
        return "Reopen"
    if current == TicketStatus.PENDING and target == TicketStatus.IN_PROGRESS:
        return "Customer answered"
    return _BUTTON_LABELS.get(target, TicketStatus(target).label)


def _allowed_text(status: str) -> str:
    return ", ".join(transitions.allowed_for_agent(status)) or "none, it is final"


def describe(event: TicketEvent) -> str:
    """One line for the timeline."""
    kind = event.kind
    if kind == EventKind.CREATED:
        return f"Ticket created ({event.data.get('priority', '')}, {event.data.get('channel', '')})"
    if kind == EventKind.STATUS_CHANGED:
        reason = event.data.get("reason")
        return f"Status {event.from_value} → {event.to_value}" + (f": {reason}" if reason else "")
    if kind == EventKind.PRIORITY_CHANGED:
        return f"Priority {event.from_value} → {event.to_value}"
    if kind == EventKind.ASSIGNED:
        return f"Assigned to {event.to_value or 'nobody'}" + (f" (was {event.from_value})" if event.from_value else "")
    if kind == EventKind.ATTACHMENT_ADDED:
        return f"Attachment {event.data.get('filename', '')}"
    if kind == EventKind.SLA_PAUSED:
        return f"SLA clock paused ({event.data.get('reason', '')})"
    if kind == EventKind.SLA_RESUMED:
        return "SLA clock restarted; deadlines moved out"
    if kind == EventKind.CUSTOMER_DETAILS_VIEWED:
        return "Customer contact details viewed"
    return event.get_kind_display()
