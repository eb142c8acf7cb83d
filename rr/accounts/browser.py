"""A browser's sign-in (the web app's and the admin's) is one of the account's sessions.

Every login of a browser (`django.contrib.auth.login`: the web welcome form, a recovery,
`/admin/login/`) starts a Session row, listed in GET /auth/sessions/ with its client,
and the cookie session keeps its id (SID_KEY). The browser's user is then loaded only
together with that row, in one statement (LiveSessionAuthenticationMiddleware): once the
session ends (DELETE /auth/sessions/<id>/, logout-all, a password change, a recovery,
the account's deletion) the browser is signed out on its very next request, web app and
admin alike. A logout ends the session too.
"""

from functools import partial
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from rr.accounts import services, tokens
from rr.accounts.models import Session, User

SID_KEY = "rr_sid"
# Set on a request whose browser was signed in to a session that has since ended.
ENDED_ATTR = "rr_session_ended"


def tokens_session_id(session_tokens: dict[str, str]) -> int:
    return tokens.decode(session_tokens["refresh"], token_type="refresh")["sid"]


def login_started(sender: type, request: HttpRequest | None, user: "User", **kwargs: Any) -> None:
    """user_logged_in: the browser's session, a listed one (the tokens of one already
    started for it, e.g. by a recovery, in `request.rr_session_tokens`)."""
    if request is None or not hasattr(request, "session"):
        return
    session_tokens = getattr(request, "rr_session_tokens", None) or services.session_start(
        user, user_agent=request.headers.get("User-Agent", "")
    )
    previous = request.session.get(SID_KEY)
    request.session[SID_KEY] = tokens_session_id(session_tokens)
    # Signing in again in the same browser (django.contrib.auth.login keeps the cookie's
    # data for the same user): its previous session ends rather than linger in the list.
    if isinstance(previous, int) and previous != request.session[SID_KEY]:
        Session.objects.filter(pk=previous, user_id=user.pk).delete()


def renew(request: HttpRequest, user: "User") -> None:
    """After a change that ended every session of `user` (a new password, from the web app or
    the admin): this browser, signed in as `user`, goes on as a new listed session."""
    session_tokens = services.session_start(user, user_agent=request.headers.get("User-Agent", ""))
    request.session[SID_KEY] = tokens_session_id(session_tokens)


def logged_out(sender: type, request: HttpRequest | None, user: "User | None", **kwargs: Any) -> None:
    """user_logged_out: the browser's session ends with its cookie's."""
    sid = request.session.get(SID_KEY) if request is not None and hasattr(request, "session") else None
    if user is not None and isinstance(sid, int):
        Session.objects.filter(pk=sid, user_id=user.pk).delete()


def connect() -> None:
    user_logged_in.connect(login_started, dispatch_uid="rr.accounts.browser.login_started")
    user_logged_out.connect(logged_out, dispatch_uid="rr.accounts.browser.logged_out")


def browser_user(request: HttpRequest) -> "User | AnonymousUser":
    """The browser's user, if its accounts session is live; else AnonymousUser.

    django.contrib.auth.get_user, with the user row loaded in one statement together with
    the live Session row the cookie names (no row: signed out, the cookie flushed).
    """
    session = request.session
    try:
        user_id = User._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except (KeyError, ValueError):
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    sid = session.get(SID_KEY)
    user = None
    if isinstance(sid, int) and not isinstance(sid, bool):
        # On the primary, never the router's choice: a session is ended there, and a replica
        # behind would keep an ended browser signed in on its replica-routed pages
        # (tests/accounts/test_authentication_database.py).
        live = User._default_manager.using(DEFAULT_DB_ALIAS).filter(
            Exists(Session.objects.live().filter(pk=sid, user=OuterRef("pk"))), pk=user_id, is_active=True
        )
        user = next(iter(live[:1]), None)
    if user is None:
        session.flush()
        setattr(request, ENDED_ATTR, True)
        return AnonymousUser()
    # Verify the session (as django.contrib.auth.get_user does).
    session_hash = session.get(HASH_SESSION_KEY)
    session_auth_hash = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, session_auth_hash):
        return user
    if session_hash and any(
        constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash()
    ):
        session.cycle_key()
        session[HASH_SESSION_KEY] = session_auth_hash
        return user
    session.flush()
    return AnonymousUser()


def _cached_user(request: Any) -> "User | AnonymousUser":
    if not hasattr(request, "_cached_user"):
        request._cached_user = browser_user(request)
    return request._cached_user


async def _auser(request: Any) -> "User | AnonymousUser":
    if not hasattr(request, "_acached_user"):
        request._acached_user = await sync_to_async(_cached_user)(request)
    return request._acached_user


class LiveSessionAuthenticationMiddleware(AuthenticationMiddleware):
    """django.contrib.auth's AuthenticationMiddleware, loading the user with browser_user."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _cached_user(request))  # type: ignore[assignment]  # as Django does
        request.auser = partial(_auser, request)
