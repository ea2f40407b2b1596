from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from apikeys.models import ApiKey, Partner, Permission
from apikeys.services import (
    InvalidKeySettings,
    api_key_create,
    api_key_revoke,
    api_key_rotate,
    validate_networks,
    validate_permissions,
    validate_webhook_url,
    webhook_secret_rotate,
)


class PartnerForm(forms.ModelForm):
    webhook_url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="Webhook URL")

    class Meta:
        model = Partner
        fields = ["code", "name", "is_active", "webhook_url"]

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"]
        if not url:
            return url
        try:
            return validate_webhook_url(url)
        except InvalidKeySettings as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    form = PartnerForm
    list_display = ["code", "name", "is_active", "webhook_url", "webhook_endpoint", "created_at"]
    search_fields = ["code", "name"]
    list_filter = ["is_active"]
    readonly_fields = ["webhook_endpoint", "webhook_secret_previous_until", "created_at"]
    actions = ["rotate_webhook_secret"]

    @admin.display(description="Webhook endpoint")
    def webhook_endpoint(self, partner: Partner) -> str:
        now = timezone.now()
        if partner.webhook_endpoint_failing(now):
            return f"failing since {timezone.localtime(partner.webhook_failing_since):%Y-%m-%d %H:%M}"
        if partner.webhook_failing_since is not None:
            return f"errors since {timezone.localtime(partner.webhook_failing_since):%Y-%m-%d %H:%M}"
        return "ok"

    @admin.action(description="Rotate the webhook secret (the old one signs for 24 more hours)", permissions=["change"])
    def rotate_webhook_secret(self, request, queryset):
        for partner in queryset:
            secret = webhook_secret_rotate(partner=partner)
            messages.warning(request, f"New webhook secret for {partner.code} (shown once): {secret}")


class ApiKeyCreationForm(forms.ModelForm):
    permissions = forms.MultipleChoiceField(
        choices=Permission.choices, widget=forms.CheckboxSelectMultiple, initial=Permission.values
    )
    allowed_networks_text = forms.CharField(
        label="Allowed networks", required=False, help_text="Comma-separated IPs or CIDR ranges; empty allows any"
    )

    class Meta:
        model = ApiKey
        fields = ["partner", "name", "permissions", "expires_at"]

    def clean_allowed_networks_text(self) -> list[str]:
        try:
            return validate_networks(self.cleaned_data["allowed_networks_text"].split(","))
        except InvalidKeySettings as exc:
            raise forms.ValidationError(str(exc)) from exc


class ApiKeyChangeForm(forms.ModelForm):
    permissions = forms.MultipleChoiceField(choices=Permission.choices, widget=forms.CheckboxSelectMultiple)
    allowed_networks = forms.CharField(
        label="Allowed networks", required=False, help_text="Comma-separated IPs or CIDR ranges; empty allows any"
    )

    class Meta:
        model = ApiKey
        fields = ["name", "permissions", "allowed_networks", "expires_at", "rate_limit_create", "rate_limit_read",
                  "rate_limit_update"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["allowed_networks"] = ", ".join(self.instance.allowed_networks or [])

    def clean_permissions(self) -> list[str]:
        try:
            return validate_permissions(self.cleaned_data["permissions"])
        except InvalidKeySettings as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_allowed_networks(self) -> list[str]:
        try:
            return validate_networks(self.cleaned_data["allowed_networks"].split(","))
        except InvalidKeySettings as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "partner", "permissions", "state", "expires_at", "last_used_at"]
    list_filter = ["partner"]
    search_fields = ["name", "prefix", "partner__code"]
    readonly_fields = ["prefix", "last_used_at", "created_at", "revoked_at"]
    actions = ["revoke", "rotate"]

    @admin.display(description="State")
    def state(self, api_key: ApiKey) -> str:
        if api_key.is_revoked:
            return "revoked"
        if api_key.is_expired(timezone.now()):
            return "expired"
        return "active"

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ApiKeyCreationForm if obj is None else ApiKeyChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["partner", "name", "permissions", "allowed_networks_text", "expires_at"]
        return [
            "partner",
            "name",
            "prefix",
            "permissions",
            "allowed_networks",
            "expires_at",
            "rate_limit_create",
            "rate_limit_read",
            "rate_limit_update",
            "revoked_at",
            "last_used_at",
            "created_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["partner", "prefix", "last_used_at", "created_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        issued = api_key_create(
            partner_code=form.cleaned_data["partner"].code,
            name=form.cleaned_data["name"],
            permissions=form.cleaned_data["permissions"],
            expires_at=form.cleaned_data["expires_at"],
            allowed_networks=form.cleaned_data["allowed_networks_text"],
        )
        # The admin's later steps (log entry, redirect) need the saved row.
        obj.pk = issued.api_key.pk
        obj.__dict__.update(issued.api_key.__dict__)
        messages.warning(request, f"Copy this key now, it is not shown again: {issued.raw_key}")
        if issued.webhook_secret:
            messages.warning(request, f"Partner webhook secret (shown once): {issued.webhook_secret}")

    @admin.action(description="Rotate the selected keys (new key, same settings; the old one is revoked)",
                  permissions=["change"])  # fmt: skip
    def rotate(self, request, queryset):
        for api_key in queryset.filter(revoked_at__isnull=True).select_related("partner"):
            issued = api_key_rotate(api_key=api_key)
            messages.warning(
                request, f"New key for {api_key.partner.code} / {api_key.name}, shown once: {issued.raw_key}"
            )

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")
