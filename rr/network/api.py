import re
from datetime import UTC
from decimal import Decimal

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from rr.common.api import AuthenticatedAPIView, error_example, error_responses, validated
from rr.common.errors import ServiceError
from rr.common.fields import StrictBooleanField
from rr.common.throttling import FollowThrottle, NetworkListThrottle
from rr.network import selectors, services
from rr.network.models import FollowRequest
from rr.network.selectors import LIST_KINDS
from rr.social import selectors as social_selectors
from rr.social import services as social_services

PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000
# Query integers are at most 18 digits, like the ids of rr.common.converters.
CURSOR_MAX = 10**18 - 1
_DIGITS = re.compile("[0-9]{1,18}")
USERNAME_MAX = 255


# The API's one timestamp format of list entries (SPEC section 3), in UTC.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class TimestampField(serializers.DateTimeField):
    """An aware datetime as YYYY-MM-DDTHH:MM:SSZ (UTC), without DRF's per-call format look-ups.

    Text is taken as it is: the list selectors have PostgreSQL format their timestamps
    in this very format (rr.network.selectors.TIMESTAMP_SQL).
    """

    def to_representation(self, value):
        if type(value) is str:
            return value
        return value.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


_TIMESTAMP = TimestampField()


def index_withheld(row):
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

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, row):
        if index_withheld(row):
            return None
        if row["latest_created_at"] is None:
            return -1
        return float(row["latest_score"])


@extend_schema_field(serializers.CharField(allow_null=True))
class ChecklistCreatedAtField(serializers.Field):
    """When the latest checklist was made; null without one or when networking is off."""

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, row):
        if index_withheld(row) or row["latest_created_at"] is None:
            return None
        return _TIMESTAMP.to_representation(row["latest_created_at"])


@extend_schema_field(serializers.IntegerField(allow_null=True))
class CurrentStreakField(serializers.Field):
    """The entry's user's current streak (row["stats"], rr.social.days), withheld exactly where the index is."""

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, row):
        return None if index_withheld(row) else row["stats"].current_streak


@extend_schema_field(serializers.FloatField(allow_null=True))
class StrengthField(CurrentStreakField):
    """The entry's user's habit strength (row["stats"], rr.social.days), withheld exactly where the index is."""

    def to_representation(self, row):
        return None if index_withheld(row) else float(row["stats"].strength)


@extend_schema_field(serializers.BooleanField(allow_null=True))
class KeptTodayField(CurrentStreakField):
    """Whether the entry's user already kept their current local day (row["stats"]), withheld as the index."""

    def to_representation(self, row):
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
    # The streak fields (docs/SOCIAL.md): rows passed through rr.social.selectors.entries_stats.
    current_streak = CurrentStreakField(help_text="Consecutive kept days; null where regret_index is.")
    strength = StrengthField(help_text="0..1 habit strength (docs/API.md); null where regret_index is.")
    nudged_today = serializers.BooleanField(help_text="You nudged them on their current local day.")
    kept_today = KeptTodayField(
        help_text="They already kept their current local day (a nudge is then refused: 409 already_kept_today);"
        " null where regret_index is."
    )

    def to_representation(self, row):
        # The fields above, their sources and conversions, in a plain loop: DRF's own
        # (get_attribute, SkipField, every value through its field) cost 7.5 times the
        # hand-built dicts it replaced, 24 ms of CPU on a page of 1,000 entries. A value
        # the selector already returns as the field's JSON type (bool, int, str) is
        # taken as it is (docs/BENCHMARKS.md, benchmark 1).
        # The plan is the class's, built once from the first instance's bound fields (they
        # hold no per-request state): binding them again for every follow's response (a
        # deep copy of ten fields) cost 0.13 ms, 6 % of a follow.
        plan = type(self).__dict__.get("_plan")
        if plan is None:
            plan = type(self)._plan = [
                (f.field_name, f.source_attrs, f.to_representation, _JSON_TYPES.get(type(f)))
                for f in self._readable_fields
            ]
        entry = {}
        for name, source, convert, json_type in plan:
            if not source:  # source="*": the field reads the whole row
                entry[name] = convert(row)
                continue
            value = row[source[0]]
            entry[name] = value if value is None or type(value) is json_type else convert(value)
        return entry


_JSON_TYPES = {serializers.BooleanField: bool, serializers.IntegerField: int, serializers.CharField: str}


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

    def validate_daily_goal(self, value):
        # A JSON number only: DecimalField would also take "0.5" or true.
        if isinstance(self.initial_data.get("daily_goal"), bool) or not isinstance(
            self.initial_data.get("daily_goal"), int | float
        ):
            raise ValidationError("Must be a number from 0 to 1.")
        return value

    def validate(self, attrs):
        if not attrs:
            raise ValidationError("Send at least one of allow_networking, follow_approval, daily_goal.")
        return attrs


MessageSerializer = inline_serializer("Message", {"message": serializers.CharField()})


def _username(value):
    # Legacy names may hold spaces or other odd characters, so only what no stored name
    # can be is refused here; everything else is looked up exactly.
    if not value or len(value) > USERNAME_MAX or "\x00" in value:
        raise ServiceError(f"Invalid username: 1-{USERNAME_MAX} characters.", field="username")
    return value


def _positive_int(request, name, default, maximum):
    raw = request.query_params.get(name)
    if raw is None:
        return default
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not _DIGITS.fullmatch(raw) or int(raw) < 1:
        raise ValidationError({name: ["Must be a positive integer."]})
    return min(int(raw), maximum)


class NetworkValidateView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="network_validate",
        summary="Check whether the user could follow `username`",
        responses={200: ValidateSerializer, **error_responses(400, 401, 403, 404, 409)},
        tags=["network"],
    )
    def get(self, request, username):
        target = selectors.user_get_active(username=_username(username))
        error = services.network_target_check(user=request.user, target=target)
        if error is not None:
            raise error
        return Response(
            {
                "username": target.username,
                "user_id": target.pk,
                "allow_networking": target.allow_networking,
                "requires_approval": target.follow_approval,
            }
        )


class NetworkFollowView(AuthenticatedAPIView):
    throttle_classes = [FollowThrottle]

    @extend_schema(
        operation_id="network_follow",
        summary="Follow `username` (201), or ask to (202) when they approve their followers",
        request=None,
        responses={
            201: FollowSerializer,
            202: FollowRequestedSerializer,
            **error_responses(400, 401, 403, 404, 409, 429),
        },
        tags=["network"],
    )
    def post(self, request, username):
        target = selectors.user_get_active(username=_username(username))
        made, shown = services.network_follow_shown(follower=request.user, target=target)
        if isinstance(made, FollowRequest):
            return Response(
                {
                    "message": f"You asked to follow {target.username}; they will see your request.",
                    "request_id": made.pk,
                },
                status=status.HTTP_202_ACCEPTED,
            )
        return Response(
            {
                "message": f"You now follow {target.username}.",
                "network_id": made.pk,
                "following": NetworkUserSerializer(shown).data,
            },
            status=status.HTTP_201_CREATED,
        )


class NetworkUnfollowView(AuthenticatedAPIView):
    throttle_classes = [FollowThrottle]

    @extend_schema(
        operation_id="network_unfollow",
        summary="Stop following `username`",
        responses={200: MessageSerializer, **error_responses(400, 401, 404, 429)},
        tags=["network"],
    )
    def delete(self, request, username):
        target = selectors.user_get_any(username=_username(username))
        services.network_unfollow(follower=request.user, target=target)
        return Response({"message": f"You no longer follow {target.username}."})


class NetworkFollowerRemoveView(AuthenticatedAPIView):
    throttle_classes = [FollowThrottle]

    @extend_schema(
        operation_id="network_follower_remove",
        summary="Remove `username` from your followers",
        responses={200: MessageSerializer, **error_responses(400, 401, 404, 429)},
        tags=["network"],
    )
    def delete(self, request, username):
        follower = selectors.user_get_any(username=_username(username))
        services.network_follower_remove(user=request.user, follower=follower)
        return Response({"message": f"{follower.username} no longer follows you."})


class NetworkListView(AuthenticatedAPIView):
    throttle_classes = [NetworkListThrottle]

    @extend_schema(
        operation_id="network_list",
        summary="The people you follow, or who follow you, with their latest regret index",
        parameters=[
            OpenApiParameter(
                "cursor",
                {"type": "integer", "minimum": 1, "maximum": CURSOR_MAX},
                description="next_cursor of the previous page",
            ),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                description=f"default {PAGE_SIZE}, at most {MAX_PAGE_SIZE} (larger values are capped)",
            ),
        ],
        responses={200: NetworkListSerializer, **error_responses(400, 401, 429)},
        tags=["network"],
    )
    def get(self, request, list_type):
        if list_type not in LIST_KINDS:
            raise ServiceError("list_type must be 'following' or 'followers'.", field="list_type")
        page_size = _positive_int(request, "page_size", PAGE_SIZE, MAX_PAGE_SIZE)
        cursor = _positive_int(request, "cursor", None, CURSOR_MAX)
        page, count = selectors.network_page(user=request.user, kind=list_type, cursor=cursor, limit=page_size + 1)
        has_more = len(page) > page_size
        page = page[:page_size]
        users = NetworkUserSerializer(social_selectors.entries_stats(viewer=request.user, rows=page), many=True).data
        return Response(
            {
                "list_type": list_type,
                "count": count,
                "users": users,
                "next_cursor": page[-1]["link_id"] if has_more else None,
            }
        )


class NetworkSettingsView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="network_settings_get",
        summary="Whether others can follow you and see your regret index",
        responses={200: SettingsSerializer, **error_responses(401)},
        tags=["network"],
    )
    def get(self, request):
        return Response(_settings_body(request.user))

    @extend_schema(
        operation_id="network_settings_set",
        summary="Switch networking or follow approval, or set the daily goal (any of them)",
        request=SettingsInput,
        responses={200: SettingsSerializer, **error_responses(400, 401)},
        tags=["network"],
    )
    def patch(self, request):
        data = validated(SettingsInput, request.data)
        user = request.user
        if "daily_goal" in data:
            social_services.daily_goal_set(user=user, goal=data["daily_goal"])
        if "allow_networking" in data:
            services.networking_set(user=user, allow=data["allow_networking"])
        if "follow_approval" in data:
            services.follow_approval_set(user=user, on=data["follow_approval"])
        return Response(_settings_body(user))


def _settings_body(user):
    return {
        "allow_networking": user.allow_networking,
        "follow_approval": user.follow_approval,
        "daily_goal": float(user.daily_goal),
        "message": selectors.networking_described(user),
    }


# Follow requests and blocks (docs/SOCIAL.md).

USER_NOT_FOUND = error_example("user_not_found", 404, "No such user.")
REQUEST_NOT_FOUND = error_example("request_not_found", 404, "No such follow request.")


def _timestamp(value):
    return _TIMESTAMP.to_representation(value)


REQUEST_DIRECTIONS = ("incoming", "outgoing")


class FollowRequestEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(help_text="The requester (incoming) or the user asked (outgoing).")
    since = serializers.CharField(help_text="YYYY-MM-DDTHH:MM:SSZ")


class FollowRequestListSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=REQUEST_DIRECTIONS)
    requests = FollowRequestEntrySerializer(many=True)


REQUEST_LIST_EXAMPLES = {
    "incoming": OpenApiExample(
        "requests to you",
        value={
            "direction": "incoming",
            "requests": [
                {"id": 77, "username": "bob", "since": "2025-06-19T08:15:00Z"},
                {"id": 61, "username": "alice", "since": "2025-06-18T21:40:12Z"},
            ],
        },
        response_only=True,
    ),
    "outgoing": OpenApiExample(
        "your requests",
        value={"direction": "outgoing", "requests": [{"id": 80, "username": "alice", "since": "2025-06-19T09:02:33Z"}]},
        response_only=True,
    ),
}


class _FollowRequestListSchema(AutoSchema):
    # One view serves both directions (config/urls.py): each gets an operation id of its own.
    def get_operation_id(self):
        return f"follow_request_list_{self.view.direction}"

    def get_examples(self):
        return [REQUEST_LIST_EXAMPLES[self.view.direction]]


class FollowRequestListView(AuthenticatedAPIView):
    direction = None  # "incoming" or "outgoing", set in the URL conf
    schema = _FollowRequestListSchema()

    @extend_schema(
        summary="Pending follow requests to you (incoming) or from you (outgoing), newest first",
        responses={200: FollowRequestListSerializer, **error_responses(401)},
        tags=["network"],
    )
    def get(self, request):
        direction = self.direction
        rows = selectors.follow_requests(user=request.user, direction=direction)
        return Response(
            {
                "direction": direction,
                "requests": [
                    {"id": row["id"], "username": row["username"], "since": _timestamp(row["created_at"])}
                    for row in rows
                ],
            }
        )


class FollowRequestView(AuthenticatedAPIView):
    throttle_classes = [FollowThrottle]

    @extend_schema(
        operation_id="follow_request_delete",
        summary="Reject a request made to you, or cancel one you made",
        responses={200: MessageSerializer, **error_responses(401, 404, 429)},
        examples=[
            OpenApiExample(
                "rejected (you were asked)", value={"message": "You rejected bob's request."}, response_only=True
            ),
            OpenApiExample(
                "cancelled (you asked)", value={"message": "You no longer ask to follow alice."}, response_only=True
            ),
            REQUEST_NOT_FOUND,
        ],
        tags=["network"],
    )
    def delete(self, request, request_id):
        outcome, other = services.follow_request_delete(user=request.user, request_id=request_id)
        if outcome == "cancelled":
            return Response({"message": f"You no longer ask to follow {other}."})
        return Response({"message": f"You rejected {other}'s request."})


class FollowRequestAcceptView(AuthenticatedAPIView):
    throttle_classes = [FollowThrottle]

    @extend_schema(
        operation_id="follow_request_accept",
        summary="Accept a request made to you: the requester now follows you",
        request=None,
        responses={200: MessageSerializer, **error_responses(401, 404, 429)},
        examples=[
            OpenApiExample("accepted", value={"message": "bob now follows you."}, response_only=True),
            REQUEST_NOT_FOUND,
        ],
        tags=["network"],
    )
    def post(self, request, request_id):
        requester = services.follow_request_accept(user=request.user, request_id=request_id)
        return Response({"message": f"{requester} now follows you."})


class BlockEntrySerializer(serializers.Serializer):
    username = serializers.CharField()
    since = serializers.CharField(help_text="YYYY-MM-DDTHH:MM:SSZ")


class BlockListView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="block_list",
        summary="The users you block, newest first",
        responses={
            200: inline_serializer("BlockList", {"blocks": BlockEntrySerializer(many=True)}),
            **error_responses(401),
        },
        examples=[
            OpenApiExample(
                "blocks",
                value={"blocks": [{"username": "bob", "since": "2025-06-19T07:30:00Z"}]},
                response_only=True,
            )
        ],
        tags=["network"],
    )
    def get(self, request):
        rows = selectors.blocks(user=request.user)
        return Response({"blocks": [{"username": r["username"], "since": _timestamp(r["created_at"])} for r in rows]})


class BlockView(AuthenticatedAPIView):
    throttle_classes = [FollowThrottle]

    @extend_schema(
        operation_id="block_create",
        summary="Block `username`: ends follows and requests both ways; neither can follow the other",
        request=None,
        responses={201: MessageSerializer, **error_responses(400, 401, 404, 409, 429)},
        examples=[
            OpenApiExample("blocked", value={"message": "You block bob."}, response_only=True, status_codes=["201"]),
            error_example("cannot_block_self", 400, "You cannot block yourself."),
            USER_NOT_FOUND,
            error_example("already_blocking", 409, "You already block bob."),
        ],
        tags=["network"],
    )
    def post(self, request, username):
        target = selectors.user_get_active(username=_username(username))
        services.block_create(user=request.user, target=target)
        return Response({"message": f"You block {target.username}."}, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="block_delete",
        summary="Unblock `username` (ended follows do not come back)",
        responses={200: MessageSerializer, **error_responses(400, 401, 404, 429)},
        examples=[
            OpenApiExample("unblocked", value={"message": "You no longer block bob."}, response_only=True),
            error_example("not_blocking", 404, "You do not block bob."),
        ],
        tags=["network"],
    )
    def delete(self, request, username):
        target = selectors.user_get_any(username=_username(username))
        services.block_delete(user=request.user, target=target)
        return Response({"message": f"You no longer block {target.username}."})
