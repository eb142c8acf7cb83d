from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Now, Upper
from django.utils import timezone

from rr.common import locks


def next_whole_second(now: datetime | None = None) -> datetime:
    """A cut-off instant strictly after every token issued so far (tokens' `iat` is in whole seconds)."""
    now = now or timezone.now()
    return now.replace(microsecond=0) + timedelta(seconds=1)


class UserQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        """Delete in the user-row lock order (rr/common/locks.py users_delete), cascades included."""
        return locks.users_delete(locks.deletable(self))

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: Any) -> "User":
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account. Column order and types match the legacy `rr_user` table.

    `followers_count` and `following_count` mirror `rr_network`; database
    triggers keep them exact (see migration 0004), so no Python code writes them
    except the repair command.
    """

    # Legacy names may be up to 255 characters; new names follow USERNAME_RULES.
    username = models.CharField(max_length=255, unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    # Defaults live in the database so the legacy release's INSERTs keep working.
    allow_networking = models.BooleanField(default=True, db_default=True)
    followers_count = models.IntegerField(default=0, db_default=0)
    following_count = models.IntegerField(default=0, db_default=0)
    # Follows need the user's approval (pending requests, rr_follow_request);
    # a day is kept when its regret index is at or below daily_goal (0: everything done).
    follow_approval = models.BooleanField(default=False, db_default=False)
    daily_goal = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0"), db_default=Decimal("0"))

    # Every token issued before this instant is refused (access and refresh, legacy ones
    # included): set when the password is set or changed and by account recovery.
    # Compared with each token's `iat` on the user row every request loads anyway.
    tokens_valid_after = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = []

    class Meta:
        db_table = "rr_user"
        # Serves the case-insensitive "username taken?" check of sign-up (migration 0006).
        indexes = [models.Index(Upper("username"), name="rr_user_username_upper_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(followers_count__gte=0), name="rr_user_followers_count_gte_0"),
            models.CheckConstraint(condition=models.Q(following_count__gte=0), name="rr_user_following_count_gte_0"),
            models.CheckConstraint(
                condition=models.Q(daily_goal__gte=0, daily_goal__lte=1), name="rr_user_daily_goal_0_1"
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saving a changed password (set_password, whatever the caller: the API, the web app,
        the admin's password forms) ends every session of the account and every token
        issued so far; `sessions_ended` then says how many sessions were ended."""
        # Django's set_unusable_password() leaves `_password` unset: the admin's "Password-based
        # authentication: disabled" would otherwise keep every session (and a thief's token
        # could then claim the account with POST /auth/password/).
        changed = self._password is not None or getattr(self, "_password_unusable_set", False)  # type: ignore[attr-defined]
        ends_sessions = changed and not self._state.adding
        if ends_sessions:
            self.tokens_valid_after = next_whole_second()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "tokens_valid_after"}
        super().save(*args, **kwargs)
        self._password_unusable_set = False
        if ends_sessions:
            self.sessions_ended, _ = Session.objects.filter(user=self).delete()

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._password_unusable_set = True

    def delete(self, using: str | None = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        """Delete in the user-row lock order (rr/common/locks.py users_delete), like the queryset's delete()."""
        if self.pk is None:
            raise ValueError(f"{self._meta.object_name} object can't be deleted because its id is None.")
        deleted = locks.users_delete(type(self)._base_manager.filter(pk=self.pk))
        self.pk = None
        return deleted

    delete.alters_data = True  # type: ignore[attr-defined]


class SessionQuerySet(models.QuerySet):
    def live(self) -> "SessionQuerySet":
        """The sessions still live: not ended (ending deletes the row) and not expired
        (`expires_at`, the refresh token's own expiry, by the database's clock). The one
        definition: tokens (rr.accounts.selectors.user_for_request), browsers
        (rr.accounts.browser.browser_user) and the session list use it."""
        return self.filter(expires_at__gt=Now())


class Session(models.Model):
    """One signed-in device: the chain of refresh tokens that rotation hands on.

    The table never holds a usable token: only the SHA-256 of the current refresh
    token's `jti` (a random 128-bit id), which the token itself carries. A refresh
    swaps it for the next token's in one conditional UPDATE, so a token is used once.
    Ending a session deletes its row.
    """

    # Served by the (user, -last_used_at) index below, which starts with it.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_sessions", db_index=False)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    user_agent = models.TextField(blank=True, default="")
    refresh_jti_hash = models.TextField()

    objects = SessionQuerySet.as_manager()

    class Meta:
        db_table = "rr_session"
        indexes = [models.Index(fields=["user", "-last_used_at"], name="rr_session_user_used_idx")]

    def __str__(self) -> str:
        return f"session {self.pk} of user {self.user_id}"


class RecoveryCode(models.Model):
    """A one-time code support hands to an account's owner (`manage.py account_recovery_code`).

    Stored as its SHA-256 only; used once, within its validity.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.TextField(unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "rr_recovery_code"

    def __str__(self) -> str:
        return f"recovery code {self.pk} of user {self.user_id}"
