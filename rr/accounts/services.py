"""Account actions: sign-up, login, passwords, sessions and their tokens, recovery, deactivation and deletion."""

import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from rr.accounts import tokens
from rr.accounts.models import RecoveryCode, Session, User
from rr.common import locks
from rr.common.db import LOCK_USERNAME, advisory_xact_lock
from rr.common.errors import Conflict, NotFound, ServiceError, Unauthorized
from rr.common.usernames import username_key

logger = logging.getLogger("rr.accounts")

USERNAME_RULES = "3-30 characters: letters, digits, underscore, dot or hyphen"
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,30}$")
USER_AGENT_MAX = 255
REFRESH_REFUSED = "Refresh token is invalid, expired or revoked."


def username_check_new(username: object) -> None:
    """Raise unless `username` is acceptable for a new account (legacy names are exempt)."""
    if not isinstance(username, str) or not _USERNAME_RE.fullmatch(username):
        raise ServiceError(f"Invalid username: {USERNAME_RULES}.", field="username")


def username_taken(username: str) -> bool:
    """Whether a new name equals an existing one once both are trimmed and case-folded (NFKC).

    New names are plain ASCII (USERNAME_RULES), so the only existing names that can
    fold onto one are those equal to it but for case (the UPPER(username) index of
    0006) and the legacy names outside the rules (a trailing space, full-width
    letters...), which are compared here one by one.
    """
    key = username_key(username)
    candidates = User.objects.filter(Q(username__iexact=username) | ~Q(username__regex=r"^[A-Za-z0-9_.-]+$"))
    return any(username_key(name) == key for name in candidates.values_list("username", flat=True).iterator())


def _password_check(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ServiceError("Invalid password: " + " ".join(exc.messages), field="password") from exc


def _user_agent(value: str | None) -> str:
    return (value or "")[:USER_AGENT_MAX]


def session_start(user: User, *, user_agent: str = "", now: datetime | None = None) -> dict[str, str]:
    """A new session of `user` (one Session row) and its first tokens: {"refresh", "access"}."""
    issued_at = tokens.issue_instant(user, now)
    jti = uuid.uuid4().hex
    session = Session.objects.create(
        user=user,
        created_at=issued_at,
        last_used_at=issued_at,
        expires_at=issued_at + tokens.api_settings.REFRESH_TOKEN_LIFETIME,
        user_agent=_user_agent(user_agent),
        refresh_jti_hash=tokens.jti_hash(jti),
    )
    refresh, access = tokens.mint(user=user, session_id=session.pk, jti=jti, issued_at=issued_at)
    return {"refresh": refresh, "access": access}


def tokens_for(user: User, *, user_agent: str = "") -> dict[str, str]:
    """Tokens of a new session of `user`."""
    return session_start(user, user_agent=user_agent)


def account_create(*, username: str, password: str | None = None) -> User:
    """Create an account. New names are unique case-insensitively, enforced under a lock."""
    username_check_new(username)
    user = User(username=username)
    if password:
        _password_check(password, user)
    with transaction.atomic():
        # Legacy data (`Bob` beside `bob`) rules out a unique index on lower(username),
        # so sign-ups of names equal but for case are serialised instead.
        advisory_xact_lock(LOCK_USERNAME, username.lower())
        if username_taken(username):
            raise Conflict("Username taken.", code="username_taken")
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise Conflict("Username taken.", code="username_taken") from exc
    logger.info("account created", extra={"target_user_id": user.pk})
    return user


def account_login(
    *, username: str, password: str | None, before_password: Callable[[User], None] | None = None
) -> User:
    """An existing account, only with its correct password.

    `before_password(user)`, when given, runs once the account is found and before its
    password is hashed (the staff accounts' login limit).
    """
    user = User.objects.filter(username=username).first()
    if user is None:
        raise Unauthorized("Invalid username or password.", code="invalid_credentials")
    return _login(user, password, before_password)


def _login(user: User, password: str | None, before_password: Callable[[User], None] | None = None) -> User:
    if not password:
        raise Conflict("Username taken. Send its password to log in.", code="username_taken")
    if before_password is not None:
        before_password(user)
    if not user.is_active or not user.check_password(password):
        raise Unauthorized("Invalid username or password.", code="invalid_credentials")
    return user


def account_create_or_login(
    *,
    username: str,
    password: str | None = None,
    before_create: Callable[[], None] | None = None,
    before_password: Callable[[User], None] | None = None,
) -> tuple[User, bool]:
    """(user, created): log in to the account named exactly `username`, or create it.

    An existing name needs its password (409 without one, 401 when wrong); a new one
    must follow USERNAME_RULES (400) and be free once case-folded (409).
    `before_create`, when given, runs before an account is created (the sign-up rate limit);
    `before_password(user)` before an existing account's password is hashed.
    """
    user = User.objects.filter(username=username).first()
    if user is not None:
        return _login(user, password, before_password), False
    username_check_new(username)
    if before_create is not None:
        before_create()
    return account_create(username=username, password=password), True


def account_password_set(
    *,
    user: User,
    password: str,
    current_password: str | None = None,
    token_payload: dict[str, Any] | None = None,
    new_session: bool = False,
    user_agent: str = "",
) -> tuple[User, dict[str, str] | None]:
    """Set the first password (the claim) or change it; every token issued so far ends.

    A usable password must be proven with `current_password` (400
    current_password_required without one, 401 when wrong). The user row is locked and
    the caller's token (`token_payload`) re-checked under the lock, so of two
    simultaneous claims with tokens issued before either, exactly one wins and the other
    is 401. Returns (user, tokens of a new session if `new_session`, else None); `user`
    itself is updated too (the web app then keeps its browser session with it).
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if token_payload is not None and not _token_live_locked(token_payload, locked):
            raise Unauthorized("This session has ended: log in again.", code="session_ended")
        if locked.has_usable_password():
            if not current_password:
                raise ServiceError(
                    "current_password is required to change a password.",
                    code="current_password_required",
                    field="current_password",
                )
            if not locked.check_password(current_password):
                raise Unauthorized("Current password is wrong.", code="wrong_current_password")
        _password_check(password, locked)
        claim = not locked.has_usable_password()
        locked.set_password(password)
        ended = _sessions_end_all(locked)
        logger.info(
            "password claimed" if claim else "password changed",
            extra={"target_user_id": locked.pk, "sessions_ended": ended},
        )
        user.password, user.tokens_valid_after = locked.password, locked.tokens_valid_after
        return locked, session_start(locked, user_agent=user_agent) if new_session else None


def _token_live_locked(payload: dict[str, Any], user: User) -> bool:
    """The caller's token still good under the lock of `user`: issued in time, and its
    session (if it names one: legacy tokens do not) not ended since the request was
    authenticated. The session row is locked too, so a logout of it waits for the claim
    (which ends it anyway) rather than passing between the check and the password."""
    if not tokens.issued_in_time(payload, user):
        return False
    session_id = payload.get("sid")
    if session_id is None:
        return True
    return Session.objects.select_for_update().filter(pk=session_id, user=user).values_list("pk").first() is not None


def _sessions_end_all(user: User) -> int:
    """Save the new password of `user` (locked): every token issued so far stops working
    (User.save, rr/accounts/models.py); the count of sessions ended."""
    user.save(update_fields=["password"])
    return user.sessions_ended


def _payload_or_401(refresh: object) -> dict[str, Any]:
    try:
        return tokens.decode(refresh, token_type="refresh")
    except tokens.InvalidTokenText as exc:
        raise Unauthorized(REFRESH_REFUSED, code="token_invalid") from exc


def _token_user(payload: dict[str, Any]) -> User:
    try:
        user_id = int(payload["user_id"])
    except (TypeError, ValueError) as exc:
        raise Unauthorized(REFRESH_REFUSED, code="token_invalid") from exc
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not tokens.issued_in_time(payload, user):
        raise Unauthorized(REFRESH_REFUSED, code="token_invalid")
    return user


def _legacy_consume(payload: dict[str, Any], user: User) -> None:
    """Spend a legacy refresh token once: the blacklist's unique constraint decides a race.

    The outstanding row keeps no token text (the previous release stored it there).
    """
    jti = payload.get("jti")
    if not isinstance(jti, str) or not jti:
        raise Unauthorized(REFRESH_REFUSED, code="token_invalid")
    with transaction.atomic():
        outstanding, _ = OutstandingToken.objects.get_or_create(
            jti=jti,
            defaults={
                "user": user,
                "token": "",
                "created_at": datetime_from_epoch(payload["iat"]) if "iat" in payload else None,
                "expires_at": datetime_from_epoch(payload["exp"]),
            },
        )
        try:
            with transaction.atomic():
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError as exc:
            raise Unauthorized(REFRESH_REFUSED, code="token_invalid") from exc
    logger.info("legacy token used", extra={"target_user_id": user.pk})


def token_refresh(*, refresh: object, user_agent: str = "") -> dict[str, str]:
    """Exchange a refresh token for new tokens; the old one stops working (used once).

    A session's token swaps its `jti` hash in one conditional UPDATE; a legacy token
    (grace period only) is blacklisted and becomes a new session.
    """
    payload = _payload_or_401(refresh)
    user = _token_user(payload)
    if tokens.is_legacy(payload):
        with transaction.atomic():
            _legacy_consume(payload, user)
            return session_start(user, user_agent=user_agent)
    issued_at = tokens.issue_instant(user)
    jti = uuid.uuid4().hex
    changes: dict[str, Any] = {
        "refresh_jti_hash": tokens.jti_hash(jti),
        "last_used_at": timezone.now(),
        "expires_at": issued_at + tokens.api_settings.REFRESH_TOKEN_LIFETIME,
    }
    if user_agent:
        changes["user_agent"] = _user_agent(user_agent)
    rotated = Session.objects.filter(
        pk=payload["sid"], user=user, refresh_jti_hash=tokens.jti_hash(payload.get("jti"))
    ).update(**changes)
    if not rotated:
        _replay_end(payload, user)
        raise Unauthorized(REFRESH_REFUSED, code="token_invalid")
    new_refresh, access = tokens.mint(user=user, session_id=payload["sid"], jti=jti, issued_at=issued_at)
    return {"refresh": new_refresh, "access": access}


def token_revoke(*, refresh: object) -> None:
    """Log out: the refresh token's session ends (a legacy token is spent)."""
    payload = _payload_or_401(refresh)
    user = _token_user(payload)
    if tokens.is_legacy(payload):
        _legacy_consume(payload, user)
        return
    ended, _ = Session.objects.filter(
        pk=payload["sid"], user=user, refresh_jti_hash=tokens.jti_hash(payload.get("jti"))
    ).delete()
    if not ended:
        _replay_end(payload, user)
        raise Unauthorized(REFRESH_REFUSED, code="token_invalid")


def _replay_end(payload: dict[str, Any], user: User) -> None:
    """A genuine refresh token of a live session that is not its current one was replayed.

    Its signature is ours and its session still exists, so it is an earlier token of that
    session, already rotated: someone kept a copy. Which of the two holders is the thief
    cannot be told, so the whole session ends (the successor's tokens too) and a WARNING
    names it. Two refreshes of one token racing (a client retrying) end the same way.
    """
    ended, _ = Session.objects.filter(pk=payload["sid"], user=user).delete()
    if ended:
        logger.warning(
            "refresh token replayed: session %s ended",
            payload["sid"],
            extra={"target_user_id": user.pk, "session_id": payload["sid"]},
        )


# Sessions ------------------------------------------------------------------------------


def session_list(*, user: User) -> list[Session]:
    """The account's live sessions, most recently used first."""
    return list(Session.objects.live().filter(user=user).order_by("-last_used_at", "-id"))


def session_end(*, user: User, session_id: int) -> None:
    """End one session of `user` (its refresh token stops working); 404 if it is not theirs."""
    ended, _ = Session.objects.filter(user=user, pk=session_id).delete()
    if not ended:
        raise NotFound("No such session.", code="session_not_found")
    logger.info("session ended", extra={"target_user_id": user.pk, "session_id": session_id})


def sessions_end_others(*, user: User, current_session_id: int | None) -> int:
    """End every session of `user` but `current_session_id`; how many were ended."""
    # None (a legacy token, no session of its own): pk IS NULL matches no row, every session ends.
    ended, _ = Session.objects.filter(user=user).exclude(pk=current_session_id).delete()  # type: ignore[misc]
    logger.info("sessions ended", extra={"target_user_id": user.pk, "sessions_ended": ended})
    return ended


# Recovery ------------------------------------------------------------------------------

RECOVERY_CODE_LIFETIME = timedelta(hours=24)
RECOVERY_REFUSED = "Invalid username or recovery code."


def _code_hash(code: str) -> str:
    # A code is 100 random bits: a fast hash cannot be reversed by guessing.
    return hashlib.sha256(code.strip().upper().replace("-", "").encode()).hexdigest()


def recovery_code_issue(*, username: str) -> str:
    """A one-time code for the account named exactly `username`, valid 24 hours.

    Earlier unused codes of the account stop working. Only the hash is stored: the
    returned text is the one copy (the operator hands it to the owner).
    """
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: no 0/O or 1/I
    raw = "".join(secrets.choice(alphabet) for _ in range(20))
    code = "-".join(raw[i : i + 5] for i in range(0, 20, 5))
    now = timezone.now()
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        RecoveryCode.objects.create(
            user=user, code_hash=_code_hash(code), created_at=now, expires_at=now + RECOVERY_CODE_LIFETIME
        )
    logger.info("recovery code issued", extra={"target_user_id": user.pk})
    return code


def account_recover(*, username: str, code: object, password: str, user_agent: str = "") -> tuple[User, dict[str, str]]:
    """Set a password with a recovery code (used once), end every session; (user, tokens)."""
    if not isinstance(code, str) or not code.strip():
        raise Unauthorized(RECOVERY_REFUSED, code="invalid_recovery_code")
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Unauthorized(RECOVERY_REFUSED, code="invalid_recovery_code")
    _password_check(password, user)
    with transaction.atomic():
        now = timezone.now()
        used = RecoveryCode.objects.filter(
            user=user, code_hash=_code_hash(code), used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if not used:
            raise Unauthorized(RECOVERY_REFUSED, code="invalid_recovery_code")
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(password)
        ended = _sessions_end_all(locked)
        logger.info("account recovered", extra={"target_user_id": locked.pk, "sessions_ended": ended})
        return locked, session_start(locked, user_agent=user_agent)


# Deletion ------------------------------------------------------------------------------


def account_delete(*, user: User, password: str | None = None, confirm: object = None) -> None:
    """Delete the account and all it owns, after proof: its password, or without one its name.

    The deletion is users_delete's (deadlock-free, every neighbour's counts exact).
    """
    if user.has_usable_password():
        if not password:
            raise ServiceError(
                "password is required to delete the account.", code="password_required", field="password"
            )
        if not user.check_password(password):
            raise Unauthorized("Wrong password: nothing was deleted.", code="wrong_password")
    elif confirm != user.username:
        raise ServiceError(
            'This account has no password: send {"confirm": "<your username>"} to delete it.',
            code="confirm_required",
            field="confirm",
        )
    users_delete(user_ids=[user.pk])
    logger.info("account deleted by its owner", extra={"target_user_id": user.pk})


def user_deactivate(*, user: User) -> User:
    """Deactivate an account: it can no longer log in, be followed or appear in lists.

    Under the user-row lock (rr/common/locks.py users_lock), so a follow of this user
    decides on the state before or after, never in between. Its links stay (and
    so do the counts, which mirror rr_network).
    """

    def deactivate() -> None:
        locks.users_lock([user.pk])
        User.objects.filter(pk=user.pk).update(is_active=False)

    locks.write(deactivate)
    user.is_active = False
    logger.info("account deactivated", extra={"target_user_id": user.pk})
    return user


def users_delete(*, user_ids: Iterable[int]) -> None:
    """Delete users with their checklists, links and tokens; every neighbour's count moves.

    Through the user-row lock order (rr.common.locks.users_delete), like every
    deletion of users, `User.objects....delete()` included. Users already gone are
    not an error.
    """
    locks.users_delete(User.objects.filter(pk__in=list(user_ids)))


def user_delete(*, user: User) -> None:
    """Delete one user (see users_delete); a user already gone is not an error."""
    users_delete(user_ids=[user.pk])
