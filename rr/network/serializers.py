"""The follow graph's serializers: list entries, follow answers, settings, requests and blocks.

Shared by the API (rr/network/api.py) and the web app (rr/web/pages.py): the web's
Friends page shows the API's entry, so a withheld index never leaves either.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
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


def index_withheld(row: dict[str, Any]) -> bool:
    """Whether the viewer may not see this entry's regret index, streak and strength.

    The one rule: withheld when networking is off, and when the user approves their
    followers (follow_approval) and the viewer does not follow them. Every follower of
    such a user was accepted, or followed before approval was on, which counts alike.
    """
    return not row["allow_networking"] or (row["follow_approval"] and not row["you_follow"])


@extend_schema_field(serializers.FloatField(allow_null=True))
class RegretIndexField(serializers.Field):
    """Score of the latest checklist, -1 without one, null when withheld (index_withheld).

    The regret index of a user with networking off never leaves the server.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", **kwargs)

    def to_representation(self, row: dict[str, Any]) -> float | None:
        if index_withheld(row):
            return None
        if row["latest_created_at"] is None:
            return -1
        return float(row["latest_score"])


@extend_schema_field(serializers.CharField(allow_null=True))
class ChecklistCreatedAtField(serializers.Field):
    """When the latest checklist was made; null without one or when networking is off."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", **kwargs)

    def to_representation(self, row: dict[str, Any]) -> str | None:
        if index_withheld(row) or row["latest_created_at"] is None:
            return None
        return _TIMESTAMP.to_representation(row["latest_created_at"])


@extend_schema_field(serializers.IntegerField(allow_null=True))
class CurrentStreakField(serializers.Field):
    """The entry's user's current streak (row["stats"], rr.checklists.days), withheld exactly where the index is."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", **kwargs)

    def to_representation(self, row: dict[str, Any]) -> int | None:
        return None if index_withheld(row) else row["stats"].current_streak


@extend_schema_field(serializers.FloatField(allow_null=True))
class StrengthField(CurrentStreakField):
    """The entry's user's habit strength (row["stats"], rr.checklists.days), withheld exactly where the index is."""

    def to_representation(self, row: dict[str, Any]) -> float | None:  # type: ignore[override]
        return None if index_withheld(row) else float(row["stats"].strength)


@extend_schema_field(serializers.BooleanField(allow_null=True))
class KeptTodayField(CurrentStreakField):
    """Whether the entry's user already kept their current local day (row["stats"]), withheld as the index."""

    def to_representation(self, row: dict[str, Any]) -> bool | None:
        return None if index_withheld(row) else row["stats"].kept_today


# The one shape of a list entry, produced from a row of the network selectors; rr.ops.verify
# and the tests take their field lists from it (ENTRY_FIELDS). (A comment, not a docstring:
# drf-spectacular would publish a docstring as the schema's description.)
class NetworkUserSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user_id")
    username = serializers.CharField()
    regret_index = RegretIndexField(
        help_text="Score of the latest checklist; -1 with no checklist; null when networking is off.",
    )
    checklist_created_at = ChecklistCreatedAtField(help_text="YYYY-MM-DDTHH:MM:SSZ")
    allow_networking = serializers.BooleanField()
    followers_count = serializers.IntegerField()
    following_count = serializers.IntegerField()
    date_joined = TimestampField()
    you_follow = serializers.BooleanField()
    follows_you = serializers.BooleanField()
    # The streak fields (docs/NETWORK.md): the rows' `stats` (rr.network.selectors.entries_stats_read).
    current_streak = CurrentStreakField(help_text="Consecutive kept days; null where regret_index is.")
    strength = StrengthField(help_text="0..1 habit strength (docs/API.md); null where regret_index is.")
    nudged_today = serializers.BooleanField(help_text="You nudged them on their current local day.")
    kept_today = KeptTodayField(
        help_text="They already kept their current local day (a nudge is then refused: 409 already_kept_today);"
        " null where regret_index is."
    )

    def to_representation(self, row: dict[str, Any]) -> dict[str, Any]:
        return list_entry(row)


def list_entry(row: dict[str, Any]) -> dict[str, Any]:
    """A list entry from a row of the network selectors: NetworkUserSerializer's fields, in
    their order, each as its field above writes it (tests/network/test_serializers.py holds
    the two together).

    Built by hand: on a page of 1,000 entries, DRF's per-field machinery (and then a
    generic loop over the fields) cost several times this (docs/BENCHMARKS.md). The
    withheld test runs once an entry; timestamps come from the selectors as text already.
    """
    withheld = index_withheld(row)
    latest = row["latest_created_at"]
    stats = None if withheld else row["stats"]
    joined = row["date_joined"]
    return {
        "id": row["user_id"],
        "username": row["username"],
        "regret_index": None if withheld else -1 if latest is None else float(row["latest_score"]),
        "checklist_created_at": None if withheld or latest is None else _TIMESTAMP.to_representation(latest),
        "allow_networking": row["allow_networking"],
        "followers_count": row["followers_count"],
        "following_count": row["following_count"],
        "date_joined": joined if type(joined) is str else _TIMESTAMP.to_representation(joined),
        "you_follow": row["you_follow"],
        "follows_you": row["follows_you"],
        "current_streak": None if stats is None else stats.current_streak,
        "strength": None if stats is None else float(stats.strength),
        "nudged_today": row["nudged_today"],
        "kept_today": None if stats is None else stats.kept_today,
    }


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
