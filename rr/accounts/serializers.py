"""The accounts' request and response shapes, for rr/accounts/api.py and rr/export/api.py."""

from rest_framework import serializers

from rr.accounts.models import Session, User
from rr.common.fields import StrictCharField


class TokensSerializer(serializers.Serializer):
    refresh = serializers.CharField()
    access = serializers.CharField()


class AccountSerializer(serializers.ModelSerializer):
    password_set = serializers.SerializerMethodField(
        help_text="false: the account has no password yet; ask its owner to claim it by choosing one."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "is_active",
            "allow_networking",
            "followers_count",
            "following_count",
            "password_set",
            "date_joined",
        ]

    def get_password_set(self, user: User) -> bool:
        return user.has_usable_password()


class AccountWithTokensSerializer(AccountSerializer):
    tokens = TokensSerializer()

    class Meta(AccountSerializer.Meta):
        fields = AccountSerializer.Meta.fields + ["tokens"]


class AccountInput(serializers.Serializer):
    username = StrictCharField(max_length=255, trim_whitespace=False)
    password = StrictCharField(max_length=128, required=False, allow_blank=True, trim_whitespace=False)


class AccountDeleteInput(serializers.Serializer):
    password = StrictCharField(max_length=128, required=False, trim_whitespace=False)
    confirm = StrictCharField(
        max_length=255, required=False, trim_whitespace=False, help_text="Without a password: the username."
    )


class PasswordInput(serializers.Serializer):
    password = StrictCharField(max_length=128, trim_whitespace=False)
    current_password = StrictCharField(max_length=128, required=False, allow_blank=True, trim_whitespace=False)


class RecoverInput(serializers.Serializer):
    username = StrictCharField(max_length=255, trim_whitespace=False)
    code = StrictCharField(max_length=64)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class RefreshInput(serializers.Serializer):
    refresh = StrictCharField(max_length=4096)


class SessionSerializer(serializers.ModelSerializer):
    client = serializers.CharField(source="user_agent", help_text="The User-Agent the session last used.")
    current = serializers.SerializerMethodField(help_text="The session of the token making this request.")

    class Meta:
        model = Session
        fields = ["id", "created_at", "last_used_at", "client", "current"]

    def get_current(self, session: Session) -> bool:
        return session.pk == self.context.get("current_session_id")
