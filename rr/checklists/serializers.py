"""Checklists', regrets', the routine's and the history's request and response shapes, for rr/checklists/api.py."""

from typing import Any
from uuid import UUID

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rr.checklists import selectors, services
from rr.checklists.models import Checklist, Regret, RoutineItem
from rr.common.fields import OffsetDateTimeField, StrictBooleanField, StrictCharField

SCORE_HELP = (
    "The share of this checklist's regrets still unresolved, 0..1 (1 with no regrets). The same number"
    " is shown to followers as `regret_index` (of the latest checklist)."
)
ID_MAX = 2**63 - 1


class RegretSerializer(serializers.ModelSerializer):
    class Meta:
        model = Regret
        fields = ["id", "description", "created_at", "success", "checklist"]


class RegretResolvedSerializer(RegretSerializer):
    score = serializers.DecimalField(
        max_digits=5, decimal_places=4, coerce_to_string=False, help_text="The checklist's score after the tick."
    )

    class Meta(RegretSerializer.Meta):
        fields = RegretSerializer.Meta.fields + ["score"]


class ChecklistFieldsSerializer(serializers.ModelSerializer):
    score = serializers.DecimalField(max_digits=5, decimal_places=4, coerce_to_string=False, help_text=SCORE_HELP)
    completed = serializers.SerializerMethodField(
        help_text="True once the checklist's local day is over plus the grace period: regrets and score are frozen."
    )
    local_date = serializers.SerializerMethodField(
        help_text="The local day the checklist belongs to (for checklists made before it was recorded: the UTC date)."
    )

    class Meta:
        model = Checklist
        fields = ["id", "created_at", "score", "completed", "local_date"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_completed(self, checklist: Checklist) -> bool:
        return selectors.checklist_is_completed(checklist, at=self.context.get("now") or timezone.now())

    @extend_schema_field(OpenApiTypes.DATE)
    def get_local_date(self, checklist: Checklist) -> str:
        return selectors.checklist_local_date(checklist).isoformat()


class ChecklistSerializer(ChecklistFieldsSerializer):
    regrets = RegretSerializer(many=True, read_only=True)

    class Meta(ChecklistFieldsSerializer.Meta):
        fields = ChecklistFieldsSerializer.Meta.fields + ["regrets"]


class ChecklistForDayInput(serializers.Serializer):
    local_datetime = OffsetDateTimeField(
        help_text="The client's local time with its UTC offset (ISO 8601); the checklist is that local date's."
    )


class StrictUUIDField(serializers.UUIDField):
    # A JSON string only: DRF's UUIDField would also take the integer 5 as UUID(int=5).
    def to_internal_value(self, data: Any) -> UUID:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class RegretInput(serializers.Serializer):
    description = StrictCharField(min_length=1, max_length=255)
    client_id = StrictUUIDField(
        required=False,
        help_text="Your idempotency key (a UUID you generate): sending it again answers the regret"
        " already added with it instead of adding another.",
    )


class RegretUpdateInput(serializers.Serializer):
    success = StrictBooleanField(
        required=False, help_text="true ticks the regret off, false unticks it (while its day is open)."
    )
    description = StrictCharField(
        min_length=1, max_length=255, required=False, help_text="A new wording (while its day is open)."
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data:
            raise serializers.ValidationError("Send success, description or both.")
        return data


class ChecklistDaySerializer(ChecklistSerializer):
    current_streak = serializers.IntegerField(
        help_text="Your consecutive kept days up to today (or yesterday while today is not kept yet), as"
        " GET /api/checklists/history/ counts them."
    )
    kept_today = serializers.BooleanField(help_text="Today is already kept: it counts in current_streak.")

    class Meta(ChecklistSerializer.Meta):
        fields = ChecklistSerializer.Meta.fields + ["current_streak", "kept_today"]


class HistoryDaySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The local day, YYYY-MM-DD.")
    regret_index = serializers.FloatField(allow_null=True, help_text="The day's regret index; null without checklist.")
    regrets = serializers.IntegerField()
    resolved = serializers.IntegerField()
    kept = serializers.BooleanField(help_text="At least one regret and regret_index <= daily_goal.")


class HistorySerializer(serializers.Serializer):
    days = HistoryDaySerializer(many=True, help_text="One per local day, newest (today) first.")
    current_streak = serializers.IntegerField()
    longest_streak = serializers.IntegerField()
    strength = serializers.FloatField(help_text="0..1, an exponential average of kept days (docs/API.md).")
    daily_goal = serializers.FloatField()


class RoutineItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoutineItem
        fields = ["id", "description", "position"]


class RoutineAddInput(serializers.Serializer):
    description = StrictCharField(min_length=1, max_length=255, required=False, help_text="A new standing regret.")
    from_regret = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, help_text="Or: the id of one of your regrets to repeat daily."
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("description" in data) == ("from_regret" in data):
            raise serializers.ValidationError("Send either description or from_regret.")
        return data


class RoutineReplaceInput(serializers.Serializer):
    from_checklist = serializers.IntegerField(
        min_value=1,
        max_value=ID_MAX,
        help_text="One of your checklists (say yesterday's): its regrets become the routine.",
    )


class RoutineItemInput(serializers.Serializer):
    description = StrictCharField(min_length=1, max_length=255, required=False)
    position = serializers.IntegerField(
        min_value=1, max_value=services.ROUTINE_LIMIT, required=False, help_text="1 is first; the others shift."
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data:
            raise serializers.ValidationError("Send description, position or both.")
        return data
