"""The desk's data in the admin. The ticket list and page, where agents work, are in
tickets/ticket_admin.py."""

import zoneinfo

from django import forms
from django.contrib import admin

from tickets.models import Branch, BusinessCalendar, Customer, Holiday, Service, SlaPolicy, SupportGroup, Ticket
from tickets.ticket_admin import TicketAdmin

admin.site.register(Ticket, TicketAdmin)


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
