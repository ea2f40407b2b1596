"""A plain listing of the desk's data. The agent console (queues, replies, bulk actions)
is built on top of this in its own issue."""

import zoneinfo

from django import forms
from django.contrib import admin
from django.utils import timezone

from tickets import sla
from tickets.models import (
    Attachment,
    Branch,
    BusinessCalendar,
    Comment,
    Customer,
    Holiday,
    Service,
    SlaPolicy,
    SupportGroup,
    Ticket,
    TicketEvent,
)
from tickets.selectors import sla_state_condition


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ["created_at", "author_name", "is_internal", "body"]


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["uploaded_at", "filename", "mime_type", "size", "sha256"]


class EventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["created_at", "kind", "actor_label", "from_value", "to_value"]


class SlaStateFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [(state.value, state.value.replace("_", " ")) for state in sla.SlaState]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        state = sla.SlaState(self.value())
        return queryset.filter(sla_state_condition(state, now=timezone.now()))


def describe_sla(ticket: Ticket, now) -> str:
    """The SLA as agents read it: state, and the time left or overdue on the resolution."""
    state = sla.state(
        now=now,
        response_deadline=ticket.response_deadline,
        resolution_deadline=ticket.resolution_deadline,
        resolution_at_risk_at=ticket.resolution_at_risk_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        paused_at=ticket.sla_paused_at,
    )
    left = sla.seconds_left(
        deadline_at=ticket.resolution_deadline, met_at=ticket.resolved_at, now=now, paused_at=ticket.sla_paused_at
    )
    if left is None:
        return f"{state.value.replace('_', ' ')}, resolved"
    amount = _duration(abs(left))
    return f"{state.value.replace('_', ' ')}, {amount} {'left' if left >= 0 else 'overdue'}"


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "title",
        "service",
        "channel",
        "priority",
        "status",
        "assignee",
        "sla_due",
        "created_at",
    ]
    list_filter = ["status", "priority", SlaStateFilter, "channel", "service", "support_group"]
    search_fields = ["number", "channel_reference_id", "title", "customer__name", "customer__identifier"]
    list_select_related = ["service", "assignee"]
    date_hierarchy = "created_at"
    inlines = [CommentInline, AttachmentInline, EventInline]
    # Status and priority change only through tickets.services (the agent console issue
    # adds the buttons); here they are shown, never edited as free fields.
    readonly_fields = [field.name for field in Ticket._meta.fields]

    @admin.display(description="SLA", ordering="resolution_deadline")
    def sla_due(self, ticket: Ticket) -> str:
        return describe_sla(ticket, timezone.now())

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "identifier", "branch", "preferred_language", "updated_at"]
    search_fields = ["name", "identifier", "email", "phone"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["service_type", "name", "support_group", "sla_calendar"]
    list_select_related = ["support_group", "calendar"]
    list_filter = ["calendar"]

    @admin.display(description="SLA calendar", ordering="calendar__name")
    def sla_calendar(self, service: Service) -> str:
        return service.calendar.name if service.calendar else "24x7"


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


class BusinessCalendarForm(forms.ModelForm):
    working_days = forms.TypedMultipleChoiceField(
        choices=list(enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "working_days", "start_time", "end_time"]

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"]
        if name not in zoneinfo.available_timezones():
            raise forms.ValidationError(f"{name!r} is not a time zone name such as Asia/Makassar.")
        return name

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and start >= end:
            raise forms.ValidationError("Working hours must start before they end.")
        return cleaned


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    """Business hours and holidays. A change applies to tickets whose deadlines are
    computed from then on (new tickets, a clock restarting, a priority change)."""

    form = BusinessCalendarForm
    list_display = ["name", "time_zone", "start_time", "end_time"]
    inlines = [HolidayInline]


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "email"]
    filter_horizontal = ["agents", "supervisors"]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["service", "priority", "response_minutes", "resolution_minutes"]
    list_filter = ["priority", "service"]
    list_editable = ["response_minutes", "resolution_minutes"]
