from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from rr.accounts import schema as _schema  # noqa: F401 -- registers the OpenAPI scheme of our authentication
from rr.accounts import services
from rr.accounts.authentication import AuthenticatedRequest, SessionJWTAuthentication
from rr.accounts.serializers import (
    AccountDeleteInput,
    AccountInput,
    AccountSerializer,
    AccountWithTokensSerializer,
    PasswordInput,
    RecoverInput,
    RefreshInput,
    SessionSerializer,
    TokensSerializer,
)
from rr.common.api import AuthenticatedAPIView, PublicAPIView, error_responses, validated
from rr.common.throttling import (
    LoginThrottle,
    SignupThrottle,
    guess_allowed,
    login_allowed,
    login_staff_allowed,
    login_succeeded,
)

PasswordSetSerializer = inline_serializer(
    "PasswordSet", {"message": serializers.CharField(), "tokens": TokensSerializer()}
)
MessageSerializer = inline_serializer("AccountMessage", {"message": serializers.CharField()})


def _throttle(view: Any, request: Request, throttle_class: type[BaseThrottle]) -> None:
    throttle = throttle_class()
    if not throttle.allow_request(request, view):
        raise Throttled(wait=throttle.wait())


def _guess(request: Request, scope: str, username: str | None = None) -> None:
    _refuse_over(guess_allowed(request, scope, username=username))


def _refuse_over(outcome: tuple[bool, float]) -> None:
    allowed, wait = outcome
    if not allowed:
        raise Throttled(wait=wait)


def _user_agent(request: Request) -> str:
    return request.headers.get("User-Agent", "")


def _current_session_id(request: AuthenticatedRequest) -> int | None:
    return request.auth.session_id if request.auth is not None else None


class AccountView(PublicAPIView):
    # POST is sign-up or login (no token); GET and DELETE act on the token's account.

    def get_authenticators(self) -> list[SessionJWTAuthentication]:  # type: ignore[override]
        if self.request is not None and self.request.method in ("GET", "DELETE"):
            return [SessionJWTAuthentication()]
        return []

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("GET", "DELETE"):
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        operation_id="account_create_or_login",
        summary="Create an account, or log in to an existing one with its password",
        request=AccountInput,
        responses={
            201: AccountWithTokensSerializer,
            200: AccountWithTokensSerializer,
            **error_responses(400, 401, 409, 429),
        },
        tags=["accounts"],
    )
    def post(self, request: Request) -> Response:
        data = validated(AccountInput, request.data)
        username, password = data["username"], data.get("password") or None
        _throttle(self, request, LoginThrottle)
        if password:
            _refuse_over(login_allowed(request, username))
        user, created = services.account_create_or_login(
            username=username,
            password=password,
            before_create=lambda: _throttle(self, request, SignupThrottle),
            before_password=lambda user: _refuse_over(login_staff_allowed(request, user)),
        )
        login_succeeded(request, user.username)
        body = AccountSerializer(user).data
        body["tokens"] = services.tokens_for(user, user_agent=_user_agent(request))
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        operation_id="account_get",
        summary="The current account",
        responses={200: AccountSerializer, **error_responses(401)},
        tags=["accounts"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(AccountSerializer(request.user).data)

    @extend_schema(
        operation_id="account_delete",
        summary="Delete the account and everything it owns (password, or confirm=<username> without one)",
        request=AccountDeleteInput,
        responses={204: None, **error_responses(400, 401, 429)},
        tags=["accounts"],
    )
    def delete(self, request: AuthenticatedRequest) -> Response:
        data = validated(AccountDeleteInput, request.data)
        _guess(request, "password_guess", request.user.username)
        services.account_delete(user=request.user, password=data.get("password"), confirm=data.get("confirm"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="account_password_set",
        summary="Set the first password (claim the account) or change it; every other session ends",
        request=PasswordInput,
        responses={200: PasswordSetSerializer, **error_responses(400, 401, 429)},
        tags=["accounts"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = validated(PasswordInput, request.data)
        if data.get("current_password"):
            # Before the hash is computed: a guess over the limit costs nothing.
            _guess(request, "password_guess", request.user.username)
        _, fresh = services.account_password_set(
            user=request.user,
            password=data["password"],
            current_password=data.get("current_password"),
            token_payload=request.auth.payload,
            new_session=True,
            user_agent=_user_agent(request),
        )
        return Response({"message": "Password set. Every other session has ended.", "tokens": fresh})


class RecoverView(PublicAPIView):
    @extend_schema(
        operation_id="account_recover",
        summary="Set a new password with a one-time recovery code from support; every session ends",
        request=RecoverInput,
        responses={200: AccountWithTokensSerializer, **error_responses(400, 401, 429)},
        tags=["accounts"],
    )
    def post(self, request: Request) -> Response:
        data = validated(RecoverInput, request.data)
        _guess(request, "recovery")  # per address only: a code is no name's to lock out
        user, fresh = services.account_recover(
            username=data["username"], code=data["code"], password=data["password"], user_agent=_user_agent(request)
        )
        login_succeeded(request, user.username)
        body = AccountSerializer(user).data
        body["tokens"] = fresh
        return Response(body)


class RefreshView(PublicAPIView):
    @extend_schema(
        operation_id="token_refresh",
        summary="Exchange a refresh token for new tokens; the old refresh token stops working",
        request=RefreshInput,
        responses={200: TokensSerializer, **error_responses(400, 401)},
        tags=["accounts"],
    )
    def post(self, request: Request) -> Response:
        data = validated(RefreshInput, request.data)
        return Response(services.token_refresh(refresh=data["refresh"], user_agent=_user_agent(request)))


class LogoutView(PublicAPIView):
    @extend_schema(
        operation_id="token_revoke",
        summary="Log out: revoke a refresh token",
        request=RefreshInput,
        responses={200: MessageSerializer, **error_responses(400, 401)},
        tags=["accounts"],
    )
    def post(self, request: Request) -> Response:
        data = validated(RefreshInput, request.data)
        services.token_revoke(refresh=data["refresh"])
        return Response({"message": "Logged out."})


class SessionsView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="session_list",
        summary="The account's signed-in devices (live refresh sessions)",
        responses={200: SessionSerializer(many=True), **error_responses(401)},
        tags=["accounts"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        sessions = services.session_list(user=request.user)
        context = {"current_session_id": _current_session_id(request)}
        return Response(SessionSerializer(sessions, many=True, context=context).data)


class SessionView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="session_end",
        summary="End one session: its refresh token stops working",
        request=None,
        responses={200: MessageSerializer, **error_responses(401, 404)},
        tags=["accounts"],
    )
    def delete(self, request: AuthenticatedRequest, session_id: int) -> Response:
        services.session_end(user=request.user, session_id=session_id)
        return Response({"message": "Session ended."})


class LogoutAllView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="sessions_end_others",
        summary="End every session but the current one",
        request=None,
        responses={
            200: inline_serializer(
                "SessionsEnded", {"message": serializers.CharField(), "ended": serializers.IntegerField()}
            ),
            **error_responses(401),
        },
        tags=["accounts"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        ended = services.sessions_end_others(user=request.user, current_session_id=_current_session_id(request))
        return Response({"message": f"{ended} other session(s) ended.", "ended": ended})
