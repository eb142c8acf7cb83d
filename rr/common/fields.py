"""Input fields that take JSON at its word: no coercion of "yes" to true or 12 to "12"."""

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be a JSON boolean (true or false)."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a JSON string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.DATETIME)
class OffsetDateTimeField(serializers.Field):
    """An ISO 8601 date-time that must carry its UTC offset (the client's local time)."""

    default_error_messages = {
        "invalid": "Must be an ISO 8601 date-time with a UTC offset, e.g. 2025-06-19T01:00:00+08:00.",
        "naive": "Must include a UTC offset, e.g. 2025-06-19T01:00:00+08:00.",
        "range": "The year must be between 2 and 9998.",
    }

    def to_internal_value(self, data: Any) -> datetime:
        # Python's ISO parser stops at a NUL and accepts what came before it, so
        # anything but printable ASCII is refused before parsing.
        if not isinstance(data, str) or len(data) > 64 or not (data.isascii() and data.isprintable()):
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail("naive")
        if not 2 <= value.year <= 9998:
            # Its local day must be representable in UTC on both sides.
            self.fail("range")
        return value

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()
