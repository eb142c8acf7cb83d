"""The follow graph's serializers: list entries, follow answers, settings, requests and blocks.

Shared by the API (rr/network/api.py) and the web app (rr/web/pages.py): the web's
Friends page shows the API's entry, so a withheld index never leaves either.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from rr.common.fields import StrictBooleanField
from rr.network.selectors import LIST_KINDS

# The API's one timestamp format of list entries (SPEC section 3), in UTC.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class TimestampField(serializers.DateTimeField):
    """An aware datetime as YYYY-MM-DDTHH:MM:SSZ (UTC), without DRF's per-call format look-ups.

    Text is taken as it is: the list selectors have PostgreSQL format their timestamps
    in this very format (rr.network.selectors.TIMESTAMP_SQL).
    """

    def to_representation(self, value: datetime | str) -> str:
        if type(value) is str:
            return value
        # A datetime by now (type() is not a narrowing mypy follows).
        return value.astimezone(UTC).strftime(TIMESTAMP_FORMAT)  # type: ignore[union-attr]


_TIMESTAMP = TimestampField()


# The one shape of a list entry, as rr.network.selectors builds it (its _entries, from the
# statement's rows, for the lists and the follow's answer alike): the schema and field list
# of what it returns, in its order (tests/network/test_entry_shape.py). rr.ops.verify and the
# tests take their field lists from it (ENTRY_FIELDS). (A comment, not a docstring:
# drf-spectacular would publish a docstring as the schema's description.)
class NetworkUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    # Null where the index is withheld (rr.network.selectors.index_withheld).
    regret_index = serializers.FloatField(
        allow_null=True,
        help_text="Score of the latest checklist; -1 with no checklist; null when networking is off.",
    )
    checklist_created_at = serializers.CharField(allow_null=True, help_text="YYYY-MM-DDTHH:MM:SSZ")
    allow_networking = serializers.BooleanField()
    followers_count = serializers.IntegerField()
    following_count = serializers.IntegerField()
    date_joined = TimestampField()
    you_follow = serializers.BooleanField()
    follows_you = serializers.BooleanField()
    # The streak fields (docs/NETWORK.md), from the user's summary of days (rr.checklists.days).
    current_streak = serializers.IntegerField(
        allow_null=True, help_text="Consecutive kept days; null where regret_index is."
    )
    strength = serializers.FloatField(
        allow_null=True, help_text="0..1 habit strength (docs/API.md); null where regret_index is."
    )
    nudged_today = serializers.BooleanField(help_text="You nudged them on their current local day.")
    kept_today = serializers.BooleanField(
        allow_null=True,
        help_text="They already kept their current local day (a nudge is then refused: 409 already_kept_today);"
        " null where regret_index is.",
    )


# Every field of a list entry, for rr.ops.verify and the tests.
ENTRY_FIELDS = frozenset(NetworkUserSerializer().fields)


class NetworkListSerializer(serializers.Serializer):
    list_type = serializers.ChoiceField(choices=LIST_KINDS)
    count = serializers.IntegerField(help_text="Entries in the whole list, over every page.")
    users = NetworkUserSerializer(many=True)
    next_cursor = serializers.IntegerField(allow_null=True, help_text="Pass as ?cursor= for the next page.")


class ValidateSerializer(serializers.Serializer):
    username = serializers.CharField()
    user_id = serializers.IntegerField()
    allow_networking = serializers.BooleanField()
    requires_approval = serializers.BooleanField(help_text="A follow would be a request the user must accept (202).")


class FollowSerializer(serializers.Serializer):
    message = serializers.CharField()
    network_id = serializers.IntegerField()
    following = NetworkUserSerializer()


class FollowRequestedSerializer(serializers.Serializer):
    message = serializers.CharField()
    request_id = serializers.IntegerField(help_text="The pending request (DELETE /api/network/requests/{id}/ cancels).")


class SettingsSerializer(serializers.Serializer):
    allow_networking = serializers.BooleanField()
    follow_approval = serializers.BooleanField(
        help_text="Follows are requests you accept; followers only see your index."
    )
    daily_goal = serializers.FloatField(help_text="0..1: a day is kept when its regret index is at or below it.")
    message = serializers.CharField()


class SettingsInput(serializers.Serializer):
    # Each optional; at least one. The previous release's body {allow_networking} keeps working.
    allow_networking = StrictBooleanField(required=False)
    follow_approval = StrictBooleanField(
        required=False, help_text="Turning it off accepts every pending request (their counts move)."
    )
    daily_goal = serializers.DecimalField(
        required=False,
        max_digits=5,
        decimal_places=4,
        min_value=Decimal("0"),
        max_value=Decimal("1"),
        coerce_to_string=False,
    )

    def validate_daily_goal(self, value: Decimal) -> Decimal:
        # A JSON number only: DecimalField would also take "0.5" or true.
        if isinstance(self.initial_data.get("daily_goal"), bool) or not isinstance(
            self.initial_data.get("daily_goal"), int | float
        ):
            raise ValidationError("Must be a number from 0 to 1.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise ValidationError("Send at least one of allow_networking, follow_approval, daily_goal.")
        return attrs


MessageSerializer = inline_serializer("Message", {"message": serializers.CharField()})


def timestamp(value: datetime) -> str:
    """An aware datetime as the API's one timestamp text (TIMESTAMP_FORMAT, UTC)."""
    return _TIMESTAMP.to_representation(value)


REQUEST_DIRECTIONS = ("incoming", "outgoing")


class FollowRequestEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(help_text="The requester (incoming) or the user asked (outgoing).")
    since = serializers.CharField(help_text="YYYY-MM-DDTHH:MM:SSZ")


class FollowRequestListSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=REQUEST_DIRECTIONS)
    requests = FollowRequestEntrySerializer(many=True)


class BlockEntrySerializer(serializers.Serializer):
    username = serializers.CharField()
    since = serializers.CharField(help_text="YYYY-MM-DDTHH:MM:SSZ")
