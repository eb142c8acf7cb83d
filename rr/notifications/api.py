"""HTTP endpoints of nudges and the inbox (docs/NETWORK.md), reminders and Web Push subscriptions
(docs/API.md, "Reminders and push")."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from rr.accounts.authentication import AuthenticatedRequest
from rr.accounts.user_path import UserPathAPIView
from rr.common.api import AuthenticatedAPIView, error_example, error_responses, validated
from rr.common.throttling import FollowThrottle
from rr.network.serializers import timestamp
from rr.notifications import push, selectors, services
from rr.notifications.models import Reminder
from rr.notifications.serializers import (
    EndpointInput,
    InboxSerializer,
    NudgeInboxSerializer,
    ReminderInput,
    ReminderSerializer,
    SubscriptionInput,
)

REMINDER_EXAMPLE = {
    "enabled": True,
    "local_time": "20:30",
    "utc_offset_minutes": None,
    "next_at": "2025-06-19T18:30:00Z",
}
ENDPOINT_EXAMPLE = "https://fcm.googleapis.com/fcm/send/dXNlcjE6QVBBOTFiRz..."
SUBSCRIPTION_EXAMPLE = {
    "endpoint": ENDPOINT_EXAMPLE,
    "keys": {
        "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        "auth": "tBHItJI5svbpez7KI4CCXg",
    },
}


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
            error_example("user_not_found", 404, "No such user."),
            error_example("already_nudged", 409, "You already nudged alice today."),
            error_example("already_kept_today", 409, "alice has already kept today."),
            error_example("nudge_limit", 429, "You can send at most 20 nudges a day."),
        ],
        tags=["network"],
    )
    def post(self, request: AuthenticatedRequest, username: str) -> Response:
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
    def get(self, request: AuthenticatedRequest) -> Response:
        rows = list(selectors.nudge_inbox(user=request.user))
        nudges = [
            {
                "id": row["id"],
                "username": row["username"],
                "local_date": row["local_date"].isoformat(),
                "created_at": timestamp(row["created_at"]),
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
    def post(self, request: AuthenticatedRequest) -> Response:
        marked = services.nudges_read(user=request.user)
        return Response({"message": f"{marked} nudge(s) marked read.", "marked": marked})


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
    def get(self, request: AuthenticatedRequest) -> Response:
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
                        "created_at": timestamp(row["created_at"]),
                    }
                    for row in found.nudges
                ],
                "requests": [
                    {"id": row["id"], "username": row["username"], "since": timestamp(row["created_at"])}
                    for row in found.requests
                ],
            }
        )


def _reminder_body(reminder: Reminder) -> dict[str, Any]:
    return {
        "enabled": reminder.enabled,
        "local_time": reminder.local_time.strftime("%H:%M"),
        "utc_offset_minutes": reminder.utc_offset_minutes,
        "next_at": reminder.next_due_at.strftime("%Y-%m-%dT%H:%M:%SZ") if reminder.next_due_at else None,
    }


class ReminderView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="reminder_get",
        summary="Your daily reminder",
        responses={200: ReminderSerializer, **error_responses(401)},
        examples=[
            OpenApiExample("on at 20:30, following the checklists' offset", value=REMINDER_EXAMPLE, response_only=True)
        ],
        tags=["reminders"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(_reminder_body(selectors.reminder_get(user=request.user)))

    @extend_schema(
        operation_id="reminder_set",
        summary="Turn the daily reminder on or off, set its local time or UTC offset (any of them)",
        request=ReminderInput,
        responses={200: ReminderSerializer, **error_responses(400, 401)},
        examples=[
            OpenApiExample("on at 20:30", value={"enabled": True, "local_time": "20:30"}, request_only=True),
            OpenApiExample("on at 20:30", value=REMINDER_EXAMPLE, response_only=True),
            error_example(
                "invalid_field",
                400,
                "local_time: Must be a time of day as HH:MM (00:00 to 23:59).",
                fields={"local_time": ["Must be a time of day as HH:MM (00:00 to 23:59)."]},
            ),
        ],
        tags=["reminders"],
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        data = validated(ReminderInput, request.data)
        reminder = services.reminder_set(
            user=request.user,
            enabled=data.get("enabled"),
            local_time=data.get("local_time"),
            utc_offset_minutes=data.get("utc_offset_minutes", ...),
        )
        return Response(_reminder_body(reminder))


class PushKeyView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="push_key",
        summary="The server's VAPID public key (applicationServerKey for PushManager.subscribe)",
        responses={
            200: inline_serializer(
                "PushKey", {"public_key": serializers.CharField(help_text="base64url, an uncompressed P-256 point.")}
            ),
            **error_responses(401),
        },
        examples=[
            OpenApiExample(
                "the server's key",
                value={
                    "public_key": "BM9K3ovz5aw2tLmCD9GxMx38u8_NDx8PObGOa6N3FIzSJ72G9bgEPljnTm2fOItT_rH7XjxK_sH7bOrio4Px64A"
                },
                response_only=True,
            ),
            error_example(
                "push_not_configured", 503, "Push notifications are not set up on this server (VAPID_PRIVATE_KEY)."
            ),
        ],
        tags=["reminders"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response({"public_key": push.vapid_public_key()})


class PushSubscriptionsView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="push_subscribe",
        summary="Register this browser's push subscription (PushSubscription.toJSON()); idempotent per endpoint",
        request=SubscriptionInput,
        responses={
            201: inline_serializer("PushSubscribed", {"endpoint": serializers.CharField()}),
            **error_responses(400, 401),
        },
        examples=[
            OpenApiExample("a Chromium subscription", value=SUBSCRIPTION_EXAMPLE, request_only=True),
            OpenApiExample(
                "stored (or already stored)",
                value={"endpoint": ENDPOINT_EXAMPLE},
                response_only=True,
                status_codes=["201"],
            ),
            error_example(
                "endpoint_not_allowed",
                400,
                "endpoint must be an https:// URL of a push service.",
                fields={"endpoint": ["endpoint must be an https:// URL of a push service."]},
            ),
        ],
        tags=["reminders"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = validated(SubscriptionInput, request.data)
        services.push_subscribe(
            user=request.user, endpoint=data["endpoint"], p256dh=data["keys"]["p256dh"], auth=data["keys"]["auth"]
        )
        return Response({"endpoint": data["endpoint"]}, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="push_unsubscribe",
        summary="Forget a push subscription of yours (204 whether or not it was stored)",
        request=EndpointInput,
        responses={204: None, **error_responses(400, 401)},
        tags=["reminders"],
    )
    def delete(self, request: AuthenticatedRequest) -> Response:
        data = validated(EndpointInput, request.data)
        services.push_unsubscribe(user=request.user, endpoint=data["endpoint"])
        return Response(status=status.HTTP_204_NO_CONTENT)
