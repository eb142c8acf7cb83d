"""HTTP endpoints of the follow graph (docs/NETWORK.md): follows, lists, settings, requests, blocks."""

import re
from typing import Any, TypeVar

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from rr.accounts.authentication import AuthenticatedRequest
from rr.accounts.models import User
from rr.accounts.user_path import UserPathAPIView
from rr.common.api import AuthenticatedAPIView, error_example, error_responses, validated
from rr.common.errors import ServiceError
from rr.common.throttling import FollowThrottle, NetworkListThrottle
from rr.network import selectors, services
from rr.network.models import FollowRequest
from rr.network.selectors import LIST_KINDS
from rr.network.serializers import (
    BlockEntrySerializer,
    FollowRequestedSerializer,
    FollowRequestListSerializer,
    FollowSerializer,
    MessageSerializer,
    NetworkListSerializer,
    SettingsInput,
    SettingsSerializer,
    ValidateSerializer,
    timestamp,
)

PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000
# Query integers are at most 18 digits, like the ids of rr.common.converters.
CURSOR_MAX = 10**18 - 1
_DIGITS = re.compile("[0-9]{1,18}")


_Default = TypeVar("_Default", int, None)


def _positive_int(request: Request, name: str, default: _Default, maximum: int) -> int | _Default:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not _DIGITS.fullmatch(raw) or int(raw) < 1:
        raise ValidationError({name: ["Must be a positive integer."]})
    return min(int(raw), maximum)


class NetworkValidateView(UserPathAPIView):
    @extend_schema(
        operation_id="network_validate",
        summary="Check whether the user could follow `username`",
        responses={200: ValidateSerializer, **error_responses(400, 401, 403, 404, 409)},
        tags=["network"],
    )
    def get(self, request: AuthenticatedRequest, username: str) -> Response:
        target = self.named_user
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


class NetworkFollowView(UserPathAPIView):
    throttle_classes = [FollowThrottle]
    finds_named_user = False  # the follow's one round trip finds the user (services.network_follow_named)

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
    def post(self, request: AuthenticatedRequest, username: str) -> Response:
        name, made, shown = services.network_follow_named(follower=request.user, username=username)
        if isinstance(made, FollowRequest):
            return Response(
                {
                    "message": f"You asked to follow {name}; they will see your request.",
                    "request_id": made.pk,
                },
                status=status.HTTP_202_ACCEPTED,
            )
        return Response(
            {
                "message": f"You now follow {name}.",
                "network_id": made,
                "following": shown,
            },
            status=status.HTTP_201_CREATED,
        )


class NetworkUnfollowView(UserPathAPIView):
    throttle_classes = [FollowThrottle]
    finds_named_user = False  # the unfollow's one round trip finds the user (services.network_unfollow_named)

    @extend_schema(
        operation_id="network_unfollow",
        summary="Stop following `username`",
        responses={200: MessageSerializer, **error_responses(400, 401, 404, 429)},
        tags=["network"],
    )
    def delete(self, request: AuthenticatedRequest, username: str) -> Response:
        name = services.network_unfollow_named(follower=request.user, username=username)
        return Response({"message": f"You no longer follow {name}."})


class NetworkFollowerRemoveView(UserPathAPIView):
    throttle_classes = [FollowThrottle]

    @extend_schema(
        operation_id="network_follower_remove",
        summary="Remove `username` from your followers",
        responses={200: MessageSerializer, **error_responses(400, 401, 404, 429)},
        tags=["network"],
    )
    def delete(self, request: AuthenticatedRequest, username: str) -> Response:
        follower = self.named_user
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
    def get(self, request: AuthenticatedRequest, list_type: str) -> Response:
        if list_type not in LIST_KINDS:
            raise ServiceError("list_type must be 'following' or 'followers'.", field="list_type")
        page_size = _positive_int(request, "page_size", PAGE_SIZE, MAX_PAGE_SIZE)
        cursor = _positive_int(request, "cursor", None, CURSOR_MAX)
        users, count, next_cursor = selectors.network_page(
            user=request.user, kind=list_type, cursor=cursor, page_size=page_size
        )
        return Response({"list_type": list_type, "count": count, "users": users, "next_cursor": next_cursor})


class NetworkSettingsView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="network_settings_get",
        summary="Whether others can follow you and see your regret index",
        responses={200: SettingsSerializer, **error_responses(401)},
        tags=["network"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(_settings_body(request.user))

    @extend_schema(
        operation_id="network_settings_set",
        summary="Switch networking or follow approval, or set the daily goal (any of them)",
        request=SettingsInput,
        responses={200: SettingsSerializer, **error_responses(400, 401)},
        tags=["network"],
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        services.settings_update(user=request.user, **validated(SettingsInput, request.data))
        return Response(_settings_body(request.user))


def _settings_body(user: User) -> dict[str, Any]:
    return {
        "allow_networking": user.allow_networking,
        "follow_approval": user.follow_approval,
        "daily_goal": float(user.daily_goal),
        "message": selectors.networking_described(user),
    }


# Follow requests and blocks (docs/NETWORK.md).

USER_NOT_FOUND = error_example("user_not_found", 404, "No such user.")
REQUEST_NOT_FOUND = error_example("request_not_found", 404, "No such follow request.")


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
    def get_operation_id(self) -> str:
        return f"follow_request_list_{self.view.direction}"  # type: ignore[attr-defined]

    def get_examples(self) -> list[OpenApiExample]:
        return [REQUEST_LIST_EXAMPLES[self.view.direction]]  # type: ignore[attr-defined]


class FollowRequestListView(AuthenticatedAPIView):
    direction: str = None  # type: ignore[assignment]  # "incoming" or "outgoing", set in the URL conf
    schema = _FollowRequestListSchema()

    @extend_schema(
        summary="Pending follow requests to you (incoming) or from you (outgoing), newest first",
        responses={200: FollowRequestListSerializer, **error_responses(401)},
        tags=["network"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        direction = self.direction
        rows = selectors.follow_requests(user=request.user, direction=direction)
        return Response(
            {
                "direction": direction,
                "requests": [
                    {"id": row["id"], "username": row["username"], "since": timestamp(row["created_at"])}
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
    def delete(self, request: AuthenticatedRequest, request_id: int) -> Response:
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
    def post(self, request: AuthenticatedRequest, request_id: int) -> Response:
        requester = services.follow_request_accept(user=request.user, request_id=request_id)
        return Response({"message": f"{requester} now follows you."})


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
    def get(self, request: AuthenticatedRequest) -> Response:
        rows = selectors.blocks(user=request.user)
        return Response({"blocks": [{"username": r["username"], "since": timestamp(r["created_at"])} for r in rows]})


class BlockView(UserPathAPIView):
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
    def post(self, request: AuthenticatedRequest, username: str) -> Response:
        target = self.named_user
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
    def delete(self, request: AuthenticatedRequest, username: str) -> Response:
        target = self.named_user
        services.block_delete(user=request.user, target=target)
        return Response({"message": f"You no longer block {target.username}."})
