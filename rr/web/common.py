"""What every page shares: sign-in required, rate limits, the browser's local time."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject
from django_htmx.middleware import HtmxDetails

from rr.accounts.models import User
from rr.common.errors import ServiceError
from rr.common.throttling import AtomicRateThrottle, guess_allowed
from rr.notifications import selectors as notification_selectors
from rr.web import sessions

# Set by static/web/app.js on every page load: minutes east of UTC (-new Date().getTimezoneOffset()).
TZ_COOKIE = "rr_tz"
TZ_LIMIT_MINUTES = 14 * 60


class SignedInRequest(HttpRequest):
    """A page's request as the views behind @signed_in see it (for annotations only: Django
    builds plain HttpRequests): the signed-in user, django-htmx's details, the Inbox badge."""

    user: User
    htmx: HtmxDetails
    inbox: Any


class Refused(Exception):
    """A form's request refused: the message goes next to `field` (or on top when None)."""

    def __init__(self, message: str, *, field: str | None = None, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status_code = status_code


def rate_limit(request: HttpRequest, *throttle_classes: type[AtomicRateThrottle]) -> None:
    """Apply the API's rate limits (rr.common.throttling) to a page's request."""
    for throttle_class in throttle_classes:
        throttle = throttle_class()
        # The throttles read the address (META) and the user, which Django's request has too.
        if not throttle.allow_request(request, None):  # type: ignore[arg-type]
            seconds = max(1, int(throttle.wait() + 0.999))
            raise Refused(f"Too many attempts: try again in {seconds} seconds.", status_code=429)


def guess(request: HttpRequest, scope: str, username: str | None, *, field: str | None = None) -> None:
    """Count one guess at a secret against the API's limits (rr.common.throttling.guess_allowed)."""
    refuse_over(guess_allowed(request, scope, username=username), field=field)


def refuse_over(outcome: tuple[bool, float], *, field: str | None = None) -> None:
    """A limit's (allowed, wait) as a Refused 429 once it is over."""
    allowed, wait = outcome
    if not allowed:
        seconds = max(1, int(wait + 0.999))
        raise Refused(f"Too many attempts: try again in {seconds} seconds.", field=field, status_code=429)


def signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The page needs a live session; without one the browser goes to the log-in page."""

    @wraps(view)
    def wrapper(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if sessions.ended(request):
                messages.info(request, "This session has ended: log in again.")
            return redirect("web:login")
        # The navigation's Inbox badge (web/base.html): one query, only when a page shows it.
        request.inbox = SimpleLazyObject(lambda: notification_selectors.inbox(user=request.user, items=False))
        return view(request, *args, **kwargs)

    return wrapper


def local_now(request: HttpRequest) -> datetime:
    """Now, in the browser's time zone as its script reported it (UTC without one)."""
    raw = request.COOKIES.get(TZ_COOKIE, "")
    try:
        minutes = int(raw)
    except ValueError:
        minutes = 0
    if abs(minutes) > TZ_LIMIT_MINUTES:
        minutes = 0
    return datetime.now(UTC).astimezone(timezone(timedelta(minutes=minutes)))


def report(request: HttpRequest, action: Callable[[], str | None]) -> bool:
    """Run `action()`; a refusal of the services becomes an error message on the next page."""
    try:
        message = action()
    except ServiceError as exc:
        messages.error(request, exc.message)
        return False
    except Refused as exc:
        messages.error(request, exc.message)
        return False
    if message:
        messages.success(request, message)
    return True
