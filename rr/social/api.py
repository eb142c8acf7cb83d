"""HTTP endpoints of the social features (docs/SOCIAL.md): nudges, the inbox."""

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from rr.accounts.user_path import UserPathAPIView
from rr.common.api import AuthenticatedAPIView, error_example, error_responses
from rr.common.throttling import FollowThrottle
from rr.social import selectors, services

USER_NOT_FOUND = error_example("user_not_found", 404, "No such user.")


def _timestamp(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


class NudgeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(help_text="Who nudged you.")
    local_date = serializers.DateField(help_text="Your local day the nudge was for.")
    created_at = serializers.CharField(help_text="YYYY-MM-DDTHH:MM:SSZ")
    read = serializers.BooleanField()


class NudgeInboxSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
    nudges = NudgeSerializer(many=True)


class NudgeView(UserPathAPIView):
    throttle_classes = [FollowThrottle]

    @extend_schema(
        operation_id="nudge_send",
        summary="Nudge `username`, whom you follow and who has not kept today",
        request=None,
        responses={
            201: inline_serializer(
                "NudgeSent",
                {
                    "message": serializers.CharField(),
                    "nudge_id": serializers.IntegerField(),
                    "local_date": serializers.DateField(),
                },
            ),
            **error_responses(400, 401, 403, 404, 409, 429),
        },
        examples=[
            OpenApiExample(
                "nudged",
                value={"message": "You nudged alice.", "nudge_id": 318, "local_date": "2025-06-19"},
                response_only=True,
                status_codes=["201"],
            ),
            error_example("cannot_nudge_self", 400, "You cannot nudge yourself."),
            error_example("not_following", 403, "You can only nudge someone you follow, and you do not follow alice."),
            error_example("networking_disabled", 403, "alice does not allow networking."),
            USER_NOT_FOUND,
            error_example("already_nudged", 409, "You already nudged alice today."),
            error_example("already_kept_today", 409, "alice has already kept today."),
            error_example("nudge_limit", 429, "You can send at most 20 nudges a day."),
        ],
        tags=["network"],
    )
    def post(self, request, username):
        recipient = self.named_user
        nudge = services.nudge_send(sender=request.user, recipient=recipient)
        return Response(
            {
                "message": f"You nudged {recipient.username}.",
                "nudge_id": nudge.pk,
                "local_date": nudge.local_date.isoformat(),
            },
            status=status.HTTP_201_CREATED,
        )


class NudgeInboxView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="nudge_inbox",
        summary="Nudges you received: unread first, then newest first (at most 200)",
        responses={200: NudgeInboxSerializer, **error_responses(401)},
        examples=[
            OpenApiExample(
                "one unread",
                value={
                    "unread": 1,
                    "nudges": [
                        {
                            "id": 318,
                            "username": "alice",
                            "local_date": "2025-06-19",
                            "created_at": "2025-06-19T18:42:05Z",
                            "read": False,
                        },
                        {
                            "id": 301,
                            "username": "bob",
                            "local_date": "2025-06-17",
                            "created_at": "2025-06-17T20:03:51Z",
                            "read": True,
                        },
                    ],
                },
                response_only=True,
            )
        ],
        tags=["network"],
    )
    def get(self, request):
        rows = list(selectors.nudge_inbox(user=request.user))
        nudges = [
            {
                "id": row["id"],
                "username": row["username"],
                "local_date": row["local_date"].isoformat(),
                "created_at": _timestamp(row["created_at"]),
                "read": row["read_at"] is not None,
            }
            for row in rows
        ]
        return Response({"unread": sum(not n["read"] for n in nudges), "nudges": nudges})


class NudgeReadView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="nudge_read_all",
        summary="Mark every nudge you received read",
        request=None,
        responses={
            200: inline_serializer(
                "NudgesRead", {"message": serializers.CharField(), "marked": serializers.IntegerField()}
            ),
            **error_responses(401),
        },
        examples=[
            OpenApiExample("marked", value={"message": "1 nudge(s) marked read.", "marked": 1}, response_only=True)
        ],
        tags=["network"],
    )
    def post(self, request):
        marked = services.nudges_read(user=request.user)
        return Response({"message": f"{marked} nudge(s) marked read.", "marked": marked})


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


class InboxView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="inbox",
        summary="What needs your attention: unread nudges and follow requests to you (reading it marks nothing read)",
        responses={200: InboxSerializer, **error_responses(401)},
        examples=[
            OpenApiExample(
                "a nudge and a request",
                value={
                    "count": 2,
                    "unread_nudges": 1,
                    "pending_requests": 1,
                    "nudges": [
                        {
                            "id": 318,
                            "username": "alice",
                            "local_date": "2025-06-19",
                            "created_at": "2025-06-19T18:42:05Z",
                        }
                    ],
                    "requests": [{"id": 77, "username": "bob", "since": "2025-06-19T08:15:00Z"}],
                },
                response_only=True,
            )
        ],
        tags=["network"],
    )
    def get(self, request):
        found = selectors.inbox(user=request.user)
        return Response(
            {
                "count": found.count,
                "unread_nudges": found.unread_nudges,
                "pending_requests": found.pending_requests,
                "nudges": [
                    {
                        "id": row["id"],
                        "username": row["username"],
                        "local_date": row["local_date"].isoformat(),
                        "created_at": _timestamp(row["created_at"]),
                    }
                    for row in found.nudges
                ],
                "requests": [
                    {"id": row["id"], "username": row["username"], "since": _timestamp(row["created_at"])}
                    for row in found.requests
                ],
            }
        )
