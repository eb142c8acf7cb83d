"""Nudges', the inbox's, reminders' and push subscriptions' request and response shapes, for rr/notifications/api.py."""

import re
from datetime import time
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from rr.common.fields import StrictBooleanField, StrictCharField
from rr.notifications import services

LOCAL_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class NudgeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(help_text="Who nudged you.")
    local_date = serializers.DateField(help_text="Your local day the nudge was for.")
    created_at = serializers.CharField(help_text="YYYY-MM-DDTHH:MM:SSZ")
    read = serializers.BooleanField()


class NudgeInboxSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
    nudges = NudgeSerializer(many=True)


class InboxNudgeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(help_text="Who nudged you.")
    local_date = serializers.DateField(help_text="Your local day the nudge was for.")
    created_at = serializers.CharField(help_text="YYYY-MM-DDTHH:MM:SSZ")


class InboxRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="For POST /api/network/requests/<id>/accept/ or DELETE .../<id>/.")
    username = serializers.CharField(help_text="Who asks to follow you.")
    since = serializers.CharField(help_text="YYYY-MM-DDTHH:MM:SSZ")


class InboxSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="unread_nudges + pending_requests: the badge's number.")
    unread_nudges = serializers.IntegerField()
    pending_requests = serializers.IntegerField(help_text="Follow requests to you, waiting for your answer.")
    nudges = InboxNudgeSerializer(many=True, help_text="The unread nudges, newest first (at most 200).")
    requests = InboxRequestSerializer(many=True, help_text="The incoming follow requests, newest first (at most 200).")


class ReminderSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    local_time = serializers.CharField(help_text="HH:MM, the user's local time of day.")
    utc_offset_minutes = serializers.IntegerField(
        allow_null=True,
        help_text="-720..840; null: the offset of the user's latest checklist (UTC without one).",
    )
    next_at = serializers.CharField(
        allow_null=True, help_text="When it is next due, YYYY-MM-DDTHH:MM:SSZ; null while disabled."
    )


class LocalTimeField(StrictCharField):
    default_error_messages = {"format": "Must be a time of day as HH:MM (00:00 to 23:59)."}

    def to_internal_value(self, data: Any) -> time:  # type: ignore[override]  # the text read as a time
        value = super().to_internal_value(data)
        match = LOCAL_TIME.match(value)
        if match is None:
            self.fail("format")
        return time(int(match[1]), int(match[2]))


class OffsetField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be a JSON integer (minutes east of UTC) or null."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ReminderInput(serializers.Serializer):
    enabled = StrictBooleanField(required=False)
    local_time = LocalTimeField(required=False, help_text="HH:MM")
    utc_offset_minutes = OffsetField(
        required=False,
        allow_null=True,
        min_value=services.MIN_OFFSET,
        max_value=services.MAX_OFFSET,
        help_text="Minutes east of UTC (-720..840), or null to follow your latest checklist's.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise ValidationError("Send at least one of enabled, local_time, utc_offset_minutes.")
        return attrs


class KeysInput(serializers.Serializer):
    p256dh = StrictCharField(max_length=128, help_text="base64url, the browser's P-256 public key (65 bytes).")
    auth = StrictCharField(max_length=64, help_text="base64url, the 16-byte authentication secret.")


class SubscriptionInput(serializers.Serializer):
    endpoint = StrictCharField(max_length=2048, help_text="The push service URL (https://, a public host).")
    keys = KeysInput()


class EndpointInput(serializers.Serializer):
    endpoint = StrictCharField(max_length=2048)
