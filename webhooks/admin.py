"""Deliveries for operators: what was sent where, every attempt, and redelivery."""

from django.contrib import admin

from tickets.selectors import tickets_visible_to
from webhooks.models import Attempt, Delivery, DeliveryStatus
from webhooks.services import redeliver


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = ["number", "started_at", "status_code", "latency_ms", "error", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event_id",
        "event",
        "ticket_number",
        "sequence",
        "partner",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event", "partner"]
    search_fields = ["event_id", "ticket__number", "url"]
    list_select_related = ["ticket", "partner"]
    date_hierarchy = "created_at"
    inlines = [AttemptInline]
    actions = ["redeliver_selected"]
    # The outbox is written by tickets.services only; here it is read and redelivered.
    readonly_fields = [field.name for field in Delivery._meta.fields]
    # An estimate rather than COUNT(*) over a table that grows with every event.
    show_full_result_count = False

    def get_queryset(self, request):
        # An agent sees the deliveries of the tickets they may see, no others.
        return super().get_queryset(request).filter(ticket__in=tickets_visible_to(request.user))

    @admin.display(description="Ticket", ordering="ticket__number")
    def ticket_number(self, delivery: Delivery) -> str:
        return delivery.ticket.number

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        # Every field is read-only: "Save" must not write the row over a worker's update.
        pass

    @admin.action(description="Redeliver the selected deliveries", permissions=["change"])
    def redeliver_selected(self, request, queryset):
        pending = queryset.filter(status=DeliveryStatus.PENDING).count()
        sent = redeliver(deliveries=queryset)
        message = f"{len(sent)} deliveries queued again."
        if pending:
            message += f" {pending} already pending, left in their place."
        self.message_user(request, message)
