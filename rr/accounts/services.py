"""Account actions: sign-up, login, passwords, refresh-token rotation, deactivation and deletion."""

import logging
import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from rr.accounts.models import User
from rr.common.db import LOCK_USERNAME, advisory_xact_lock
from rr.common.errors import Conflict, ServiceError, Unauthorized
from rr.network import graph

logger = logging.getLogger("rr.accounts")

USERNAME_RULES = "3-30 characters: letters, digits, underscore, dot or hyphen"
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,30}$")


def username_check_new(username):
    """Raise unless `username` is acceptable for a new account (legacy names are exempt)."""
    if not isinstance(username, str) or not _USERNAME_RE.fullmatch(username):
        raise ServiceError(f"Invalid username: {USERNAME_RULES}.", field="username")


def _password_check(password, user):
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ServiceError("Invalid password: " + " ".join(exc.messages), field="password") from exc


def tokens_for(user):
    refresh = RefreshToken.for_user(user)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


def account_create(*, username, password=None):
    """Create an account. New names are unique case-insensitively, enforced under a lock."""
    username_check_new(username)
    user = User(username=username)
    if password:
        _password_check(password, user)
    with transaction.atomic():
        # Legacy data (`Bob` beside `bob`) rules out a unique index on lower(username),
        # so sign-ups of names equal but for case are serialised instead.
        advisory_xact_lock(LOCK_USERNAME, username.lower())
        if User.objects.filter(username__iexact=username).exists():
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


def account_login(*, username, password):
    """Tokens for an existing account, only with its correct password."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise Unauthorized("Invalid username or password.", code="invalid_credentials")
    if not password:
        raise Conflict("Username taken. Send its password to log in.", code="username_taken")
    if not user.is_active or not user.check_password(password):
        raise Unauthorized("Invalid username or password.", code="invalid_credentials")
    return user


def account_password_set(*, user, password, current_password=None):
    """Set or change a password; a usable password must be proven first."""
    if user.has_usable_password() and not user.check_password(current_password or ""):
        raise Unauthorized("Current password is wrong.", code="wrong_current_password")
    _password_check(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def _refresh_consume(raw):
    """Check a refresh token and revoke it atomically; two concurrent uses cannot both pass.

    simplejwt's own check-then-blacklist is a race; here the unique constraint on
    the blacklist's token column decides the winner.
    """
    try:
        token = RefreshToken(raw)  # signature, expiry, type, and a first blacklist look
    except TokenError as exc:
        raise Unauthorized("Refresh token is invalid, expired or revoked.", code="token_invalid") from exc
    user = User.objects.filter(pk=token.payload.get("user_id"), is_active=True).first()
    if user is None:
        raise Unauthorized("Refresh token is invalid, expired or revoked.", code="token_invalid")
    with transaction.atomic():
        outstanding, _ = OutstandingToken.objects.get_or_create(
            jti=token["jti"],
            defaults={
                "user": user,
                "token": raw,
                "created_at": token.current_time,
                "expires_at": datetime_from_epoch(token["exp"]),
            },
        )
        try:
            with transaction.atomic():
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError as exc:
            raise Unauthorized("Refresh token is invalid, expired or revoked.", code="token_invalid") from exc
    return user


def token_refresh(*, refresh):
    """Exchange a refresh token for a new access token and a new refresh token."""
    user = _refresh_consume(refresh)
    return tokens_for(user)


def token_revoke(*, refresh):
    """Log out: the refresh token can no longer be used."""
    _refresh_consume(refresh)


def user_deactivate(*, user):
    """Deactivate an account: it can no longer log in, be followed or appear in lists.

    Under the graph's user lock (rr/network/graph.py), so a follow of this user
    decides on the state before or after, never in between. Its links stay (and
    so do the counts, which mirror rr_network).
    """

    def deactivate():
        graph.users_lock([user.pk])
        User.objects.filter(pk=user.pk).update(is_active=False)

    graph.write(deactivate)
    user.is_active = False
    logger.info("account deactivated", extra={"target_user_id": user.pk})
    return user


def users_delete(*, user_ids):
    """Delete users with their checklists, links and tokens; every neighbour's count moves.

    Through the graph's lock order (rr.network.graph.users_delete), like every
    deletion of users, `User.objects....delete()` included. Users already gone are
    not an error.
    """
    graph.users_delete(User.objects.filter(pk__in=list(user_ids)))


def user_delete(*, user):
    """Delete one user (see users_delete); a user already gone is not an error."""
    users_delete(user_ids=[user.pk])
