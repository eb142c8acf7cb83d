from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.response import Response

from rr.accounts import services
from rr.accounts.models import User
from rr.common.api import AuthenticatedAPIView, PublicAPIView, error_responses, validated
from rr.common.fields import StrictCharField
from rr.common.throttling import LoginThrottle, SignupThrottle


class TokensSerializer(serializers.Serializer):
    refresh = serializers.CharField()
    access = serializers.CharField()


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "is_active", "allow_networking", "followers_count", "following_count"]


class AccountWithTokensSerializer(AccountSerializer):
    tokens = TokensSerializer()

    class Meta(AccountSerializer.Meta):
        fields = AccountSerializer.Meta.fields + ["tokens"]


class AccountInput(serializers.Serializer):
    username = StrictCharField(max_length=255, trim_whitespace=False)
    password = StrictCharField(max_length=128, required=False, allow_blank=True, trim_whitespace=False)


class PasswordInput(serializers.Serializer):
    password = StrictCharField(max_length=128, trim_whitespace=False)
    current_password = StrictCharField(max_length=128, required=False, allow_blank=True, trim_whitespace=False)


class RefreshInput(serializers.Serializer):
    refresh = StrictCharField(max_length=4096)


def _throttle(view, request, throttle_class):
    throttle = throttle_class()
    if not throttle.allow_request(request, view):
        raise Throttled(wait=throttle.wait())


def _account_body(user):
    body = AccountSerializer(user).data
    body["tokens"] = services.tokens_for(user)
    return body


class AccountView(PublicAPIView):
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
    def post(self, request):
        data = validated(AccountInput, request.data)
        username, password = data["username"], data.get("password") or None
        _throttle(self, request, LoginThrottle)
        if User.objects.filter(username=username).exists():
            user = services.account_login(username=username, password=password)
            return Response(_account_body(user), status=status.HTTP_200_OK)
        _throttle(self, request, SignupThrottle)
        user = services.account_create(username=username, password=password)
        return Response(_account_body(user), status=status.HTTP_201_CREATED)


class PasswordView(AuthenticatedAPIView):
    @extend_schema(
        operation_id="account_password_set",
        summary="Set a password (or change it, proving the current one)",
        request=PasswordInput,
        responses={
            200: inline_serializer("PasswordSet", {"message": serializers.CharField()}),
            **error_responses(400, 401),
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = validated(PasswordInput, request.data)
        services.account_password_set(
            user=request.user, password=data["password"], current_password=data.get("current_password")
        )
        return Response({"message": "Password set."})


class RefreshView(PublicAPIView):
    @extend_schema(
        operation_id="token_refresh",
        summary="Exchange a refresh token for new tokens; the old refresh token stops working",
        request=RefreshInput,
        responses={200: TokensSerializer, **error_responses(400, 401)},
        tags=["accounts"],
    )
    def post(self, request):
        data = validated(RefreshInput, request.data)
        return Response(services.token_refresh(refresh=data["refresh"]))


class LogoutView(PublicAPIView):
    @extend_schema(
        operation_id="token_revoke",
        summary="Log out: revoke a refresh token",
        request=RefreshInput,
        responses={
            200: inline_serializer("LoggedOut", {"message": serializers.CharField()}),
            **error_responses(400, 401),
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = validated(RefreshInput, request.data)
        services.token_revoke(refresh=data["refresh"])
        return Response({"message": "Logged out."})
