"""Input fields that take exactly the JSON types the schema documents.

DRF's own fields coerce: "5" becomes 5, 1 becomes "1" or True. For an API other
systems build against, a value of the wrong JSON type is a 400, so clients find
their bug instead of relying on a coercion nobody documented.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms
from django_filters import BooleanFilter, DateTimeFilter
from rest_framework import serializers


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class StrictCharField(serializers.CharField):
    """A JSON string."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer (not a string, not a boolean, not 2.0)."""

    def to_internal_value(self, data: Any) -> int:
        if not _is_integer(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An object's id as a JSON integer."""

    def to_internal_value(self, data: Any) -> Any:
        if not _is_integer(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class _BooleanQueryField(forms.NullBooleanField):
    """true/false (or 1/0) in a query string; anything else is an error."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError("Use true or false.", code="invalid") from None

    def validate(self, value: Any) -> None:
        return None


class StrictBooleanFilter(BooleanFilter):
    """A boolean query parameter that refuses values other than true/false."""

    field_class = _BooleanQueryField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A plain text widget hands the raw value to the field (a select widget would
        # quietly turn anything unknown into "not given").
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class _UTCDateTimeField(forms.DateTimeField):
    """A moment in UTC: PostgreSQL refuses offsets beyond ±15:59, Python allows ±23:59."""

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Out of range.", code="invalid") from None


class UTCDateTimeFilter(DateTimeFilter):
    """A date-time query parameter, compared in UTC."""

    field_class = _UTCDateTimeField
