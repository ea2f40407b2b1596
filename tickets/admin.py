"""A plain listing of the desk's data. The agent console (queues, replies, bulk actions)
is built on top of this in its own issue."""

from django.contrib import admin

from tickets.models import Attachment, Branch, Comment, Customer, Service, SlaPolicy, SupportGroup, Ticket, TicketEvent


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
        "resolution_deadline",
        "created_at",
    ]
    list_filter = ["status", "priority", "channel", "service", "support_group"]
    search_fields = ["number", "channel_reference_id", "title", "customer__name", "customer__identifier"]
    list_select_related = ["service", "assignee"]
    date_hierarchy = "created_at"
    inlines = [CommentInline, AttachmentInline, EventInline]
    # Status and priority change only through tickets.services (the agent console issue
    # adds the buttons); here they are shown, never edited as free fields.
    readonly_fields = [field.name for field in Ticket._meta.fields]

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
    list_display = ["service_type", "name", "support_group"]
    list_select_related = ["support_group"]


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "email"]
    filter_horizontal = ["agents"]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["service", "priority", "response_minutes", "resolution_minutes"]
    list_filter = ["priority", "service"]
    list_editable = ["response_minutes", "resolution_minutes"]
