import re
from datetime import UTC

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from rr.common.api import AuthenticatedAPIView, error_responses, validated
from rr.common.errors import ServiceError
from rr.common.fields import StrictBooleanField
from rr.common.throttling import FollowThrottle, NetworkListThrottle
from rr.network import selectors, services
from rr.network.selectors import LIST_KINDS

PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000
# Query integers are at most 18 digits, like the ids of rr.common.converters.
CURSOR_MAX = 10**18 - 1
_DIGITS = re.compile("[0-9]{1,18}")
USERNAME_MAX = 255


# The API's one timestamp format of list entries (SPEC section 3), in UTC.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class TimestampField(serializers.DateTimeField):
    """An aware datetime as YYYY-MM-DDTHH:MM:SSZ (UTC), without DRF's per-call format look-ups."""

    def to_representation(self, value):
        return value.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


_TIMESTAMP = TimestampField()


@extend_schema_field(serializers.FloatField(allow_null=True))
class RegretIndexField(serializers.Field):
    """Score of the latest checklist, -1 without one, null when networking is off.

    The regret index of a user with networking off never leaves the server.
    """

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, row):
        if not row["allow_networking"]:
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
        if not row["allow_networking"] or row["latest_created_at"] is None:
            return None
        return _TIMESTAMP.to_representation(row["latest_created_at"])


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


class FollowSerializer(serializers.Serializer):
    message = serializers.CharField()
    network_id = serializers.IntegerField()
    following = NetworkUserSerializer()


class SettingsSerializer(serializers.Serializer):
    allow_networking = serializers.BooleanField()
    message = serializers.CharField()


class SettingsInput(serializers.Serializer):
    allow_networking = StrictBooleanField()


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
            {"username": target.username, "user_id": target.pk, "allow_networking": target.allow_networking}
        )


class NetworkFollowView(AuthenticatedAPIView):
    throttle_classes = [FollowThrottle]

    @extend_schema(
        operation_id="network_follow",
        summary="Follow `username`",
        request=None,
        responses={201: FollowSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
        tags=["network"],
    )
    def post(self, request, username):
        target = selectors.user_get_active(username=_username(username))
        link, shown = services.network_follow_shown(follower=request.user, target=target)
        return Response(
            {
                "message": f"You now follow {target.username}.",
                "network_id": link.pk,
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
        links = selectors.network_links(user=request.user, kind=list_type)
        count = links.count()
        page = list((links.filter(id__lt=cursor) if cursor else links)[: page_size + 1])
        has_more = len(page) > page_size
        page = page[:page_size]
        users = NetworkUserSerializer(page, many=True).data
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
        return Response(_settings_body(request.user.allow_networking))

    @extend_schema(
        operation_id="network_settings_set",
        summary="Switch networking on or off",
        request=SettingsInput,
        responses={200: SettingsSerializer, **error_responses(400, 401)},
        tags=["network"],
    )
    def patch(self, request):
        data = validated(SettingsInput, request.data)
        user = services.networking_set(user=request.user, allow=data["allow_networking"])
        return Response(_settings_body(user.allow_networking))


def _settings_body(allow):
    message = (
        "Networking is on: others can follow you and see your regret index."
        if allow
        else "Networking is off: nobody can start following you and your regret index is hidden."
    )
    return {"allow_networking": allow, "message": message}
