"""Field types shared by the request and response serializers."""

import base64
import datetime
import re
from decimal import Decimal

from django.core.validators import RegexValidator
from rest_framework import serializers

E164_PHONE = RegexValidator(re.compile(r"^\+[1-9][0-9]{6,14}\Z"), "Phone must be in E.164 format, e.g. +6281234567890.")
CURRENCY_CODE = RegexValidator(re.compile(r"^[A-Z]{3}\Z"), "Currency must be an ISO 4217 code such as IDR.")


class UtcDateTimeField(serializers.DateTimeField):
    """ISO-8601 in UTC with a Z, as in the spec's examples, whatever the server's zone."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", datetime.UTC)
        super().__init__(**kwargs)


def printable(value) -> str:
    """A value safe to echo in an error: unpaired surrogates (which no UTF-8 answer can
    carry) shown as escapes."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def holds_unstorable_text(value) -> bool:
    """True when a string, or any key or value inside a JSON structure, has a NUL or an
    unpaired surrogate: PostgreSQL can store neither in text or jsonb."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(holds_unstorable_text(key) or holds_unstorable_text(item) for key, item in value.items())
    if isinstance(value, list):
        return any(holds_unstorable_text(item) for item in value)
    return False


class StrictCharField(serializers.CharField):
    """Text only: DRF's CharField would quietly turn 12345 into "12345"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class EnumField(serializers.ChoiceField):
    """A choice whose error names every allowed value."""

    def __init__(self, choices, **kwargs):
        super().__init__(choices, **kwargs)
        allowed = ", ".join(str(value) for value in self.choices)
        self.error_messages["invalid_choice"] = f'"{{input}}" is not valid. Allowed values: {allowed}.'

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        try:
            return self.choice_strings_to_values[str(data)]
        except KeyError:
            self.fail("invalid_choice", input=printable(data))


class AmountField(serializers.DecimalField):
    """A positive IDR-style amount: a JSON number or a numeric string, never a float."""

    def __init__(self, **kwargs):
        # 15 digits: up to 9,999,999,999,999.99, which SQLite (the embedded default, storing
        # decimals as REAL) still holds exactly.
        kwargs.setdefault("max_digits", 15)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.01"))
        # Passed in, not set afterwards: DRF builds the min-value validator's message in __init__.
        kwargs.setdefault(
            "error_messages",
            {"min_value": "Must be a positive amount.", "invalid": "Must be a number, e.g. 500000 or 500000.50."},
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false only: "yes", 1 or "on" in a bank's escalation flag is a mistake to report."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


def decode_base64(content: str) -> bytes:
    """Strict base64 (line breaks tolerated); binascii.Error on anything else."""
    compact = "".join(content.split())
    return base64.b64decode(compact, validate=True) if compact else b""
