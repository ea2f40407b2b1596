"""The batch status query: which of the partner's tickets to answer for."""

import datetime

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q

from omnichannel.fields import holds_unstorable_text
from tickets.models import Ticket, TicketStatus


class AnyValuesField(forms.MultipleChoiceField):
    """A repeatable query parameter taking any value (ticket numbers, channel references)."""

    def valid_value(self, value) -> bool:
        # Nothing the database cannot compare (NUL, unpaired surrogates) reaches a query.
        return len(value) <= 128 and not holds_unstorable_text(value)


class RepeatableValueFilter(django_filters.MultipleChoiceFilter):
    """Validates the values; TicketBatchFilter applies them (numbers OR references)."""

    field_class = AnyValuesField

    def filter(self, queryset, value):
        return queryset


class TicketBatchFilter(django_filters.FilterSet):
    ticketNumber = RepeatableValueFilter(field_name="number")
    channelReferenceId = RepeatableValueFilter(field_name="channel_reference_id")
    status = django_filters.MultipleChoiceFilter(field_name="status", choices=TicketStatus.choices)
    updatedSince = django_filters.IsoDateTimeFilter(method="filter_updated_since")

    class Meta:
        model = Ticket
        fields = ["ticketNumber", "channelReferenceId", "status", "updatedSince"]

    def filter_updated_since(self, queryset, name, value):
        return queryset.filter(updated_at__gte=value)

    def filter_queryset(self, queryset):
        # "By ticket numbers or channel references": a ticket matching either list is answered.
        queryset = super().filter_queryset(queryset)
        numbers = self.form.cleaned_data.get("ticketNumber") or []
        references = self.form.cleaned_data.get("channelReferenceId") or []
        if numbers or references:
            queryset = queryset.filter(Q(number__in=numbers) | Q(channel_reference_id__in=references))
        return queryset

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if "updatedSince" in self.data and not self.data.get("updatedSince", "").strip():
            # django-filter would drop an empty value silently and answer every ticket
            self.form.add_error("updatedSince", "Enter an ISO-8601 date-time, e.g. 2024-01-15T10:30:00Z.")
            return False
        limit = settings.OMNICHANNEL_BATCH_MAX_VALUES
        since = self.form.cleaned_data.get("updatedSince") if valid else None
        if since is not None:
            # ISO-8601 allows offsets up to ±23:59; PostgreSQL takes at most ±15:59. In UTC
            # every moment is storable, except those pushed past year 1 or 9999.
            try:
                self.form.cleaned_data["updatedSince"] = since.astimezone(datetime.UTC)
            except OverflowError:
                self.form.add_error("updatedSince", "Date-time out of range.")
                return False
        values = len(self.data.getlist("ticketNumber")) + len(self.data.getlist("channelReferenceId"))
        if values > limit:
            self.form.add_error(
                None, f"At most {limit} ticketNumber and channelReferenceId values together; got {values}."
            )
            return False
        return valid
