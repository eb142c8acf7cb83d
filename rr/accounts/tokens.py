"""Tokens: sessions' JWTs, the per-user cut-off, and the previous release's (legacy) tokens.

Every token this release issues carries `sid`, the id of its Session row (see
rr.accounts.models.Session). A token without `sid` was issued by a release before it:
by the legacy release (simplejwt defaults: a 36,500-day refresh token) or by the
networking release before this one. Such a *legacy token* is checked with
LEGACY_JWT_SIGNING_KEY and accepted only during the grace period: until
LEGACY_TOKEN_GRACE_DAYS after the cutover, the instant migration rr 0004 was applied on
this database (read once per process from django_migrations).

A legacy token must also be dated (`iat`) before the cutover and not in the future,
and is refused for good once its account has a `tokens_valid_after`.

Every token, legacy or not, must also be issued at or after its user's
`tokens_valid_after` (set by a claim, a password change and a recovery): one
comparison on the user row each request loads anyway.
"""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings

from rr.accounts.models import User
from rr.common import routers

CUTOVER_MIGRATION = ("rr", "0004_networking")
ALGORITHM = "HS256"

_cutover_cache: dict[str, datetime] = {}  # database alias -> when rr 0004 was applied there


class InvalidTokenText(Exception):
    """The text is no token we accept (bad signature, expired, wrong type, malformed)."""


def jti_hash(jti: object) -> str:
    """What the database keeps of a refresh token: the SHA-256 of its random `jti`."""
    return hashlib.sha256(str(jti).encode()).hexdigest()


def cutover() -> datetime | None:
    """When this database was taken over (rr 0004 applied); None if it never was."""
    alias = connection.alias
    if alias not in _cutover_cache:
        with connection.cursor() as cursor:
            cursor.execute("SELECT applied FROM django_migrations WHERE app = %s AND name = %s", CUTOVER_MIGRATION)
            row = cursor.fetchone()
        if row is None:
            return None  # not cached: a migrate may still come
        applied = row[0]
        if timezone.is_naive(applied):  # SQLite
            applied = timezone.make_aware(applied, UTC)
        _cutover_cache[alias] = applied
    return _cutover_cache[alias]


def legacy_grace_open(now: datetime | None = None) -> bool:
    """Whether legacy tokens are still accepted (the grace period after the cutover)."""
    days = settings.LEGACY_TOKEN_GRACE_DAYS
    if days <= 0:
        return False
    started = cutover()
    if started is None:
        return True  # before the takeover migration, every token is the current release's
    return (now or timezone.now()) < started + timedelta(days=days)


def _decode(raw: str, key: str) -> dict[str, Any]:
    # `iat` is not checked against the clock: a token issued right after a cut-off
    # carries the cut-off, up to a second ahead (see rr.accounts.models.next_whole_second).
    return jwt.decode(raw, key, algorithms=[ALGORITHM], options={"require": ["exp", "token_type"], "verify_iat": False})


def decode(raw: object, *, token_type: str) -> dict[str, Any]:
    """The payload of a token of `token_type` we may accept, else InvalidTokenText.

    Tokens with a `sid` must carry the current key's signature; legacy ones (no `sid`)
    may carry the current key's or the legacy key's, and are refused once the grace
    period is over.
    """
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    if not isinstance(raw, str) or raw.count(".") != 2:
        raise InvalidTokenText("malformed")
    keys = [settings.JWT_SIGNING_KEY]
    if settings.LEGACY_JWT_SIGNING_KEY != settings.JWT_SIGNING_KEY:
        keys.append(settings.LEGACY_JWT_SIGNING_KEY)
    payload = None
    for index, key in enumerate(keys):
        try:
            payload = _decode(raw, key)
        except jwt.InvalidTokenError:
            continue
        if index > 0 and "sid" in payload:
            raise InvalidTokenText("a session token signed with the legacy key")
        break
    if payload is None:
        raise InvalidTokenText("signature, expiry or format")
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != token_type or "user_id" not in payload:
        raise InvalidTokenText("wrong type")
    if "sid" not in payload:
        if not legacy_grace_open():
            raise InvalidTokenText("legacy token after the grace period")
        if not legacy_issued_before_cutover(payload):
            raise InvalidTokenText("legacy token issued after the cutover, in the future or undated")
    return payload


def legacy_issued_before_cutover(payload: dict[str, Any], now: datetime | None = None) -> bool:
    """Whether a token without `sid` was issued before the cutover and not in the future.

    Only the previous release mints such tokens, and it stopped at the cutover: one dated
    later (that release run again, say rolled back per the runbook) or ahead of the clock
    is refused, and so is one without `iat` (its age cannot be told).
    """
    iat = payload.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        return False
    if iat > (now or timezone.now()).timestamp():
        return False
    started = cutover()
    return started is None or iat < started.timestamp()


def is_legacy(payload: dict[str, Any]) -> bool:
    return "sid" not in payload


def issued_in_time(payload: dict[str, Any], user: User) -> bool:
    """False when the token was issued before the user's `tokens_valid_after`, and for
    every legacy token (no `sid`) once that is set: a claimed account has sessions only."""
    cutoff = user.tokens_valid_after
    if cutoff is None:
        return True
    if is_legacy(payload):
        return False
    iat = payload.get("iat")
    return isinstance(iat, int | float) and iat >= cutoff.timestamp()


def mint(*, user: User, session_id: int, jti: str, issued_at: datetime) -> tuple[str, str]:
    """The (refresh, access) texts of a session; `issued_at` is a whole-second aware datetime."""
    iat = int(issued_at.timestamp())
    common = {"user_id": str(user.pk), "sid": session_id, "iat": iat}
    refresh = {
        **common,
        api_settings.TOKEN_TYPE_CLAIM: "refresh",
        "jti": jti,
        "exp": iat + int(api_settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
    }
    access = {
        **common,
        api_settings.TOKEN_TYPE_CLAIM: "access",
        "jti": uuid.uuid4().hex,
        "exp": iat + int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
    }
    key = settings.JWT_SIGNING_KEY
    routers.acting_user(user.pk)  # the request answering with them acts for the user: its write is theirs
    return jwt.encode(refresh, key, algorithm=ALGORITHM), jwt.encode(access, key, algorithm=ALGORITHM)


def issue_instant(user: User, now: datetime | None = None) -> datetime:
    """When a token issued now counts as issued: never before the user's cut-off."""
    instant = (now or timezone.now()).replace(microsecond=0)
    if user.tokens_valid_after is not None and instant < user.tokens_valid_after:
        instant = user.tokens_valid_after
    return instant
