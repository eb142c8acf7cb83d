"""A browser's sign-in is one of the account's sessions (rr.accounts' Session rows).

The browser keeps Django's session cookie; beside the user it remembers the id of the
accounts session started at sign-in (rr.accounts.browser: every login starts one), so
the account's session list shows the browser, and "Log out everywhere else", a password
change or a recovery (which end sessions through the accounts services) end the
browser's too: its user is loaded only with its live session (one statement).
"""

from typing import Any

from django.contrib.auth import login, logout
from django.http import HttpRequest
from ua_parser import parse as parse_user_agent

from rr.accounts.browser import ENDED_ATTR, SID_KEY, renew
from rr.accounts.models import User

SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"
__all__ = ["SID_KEY", "begin", "current_id", "end", "ended", "renew"]


def begin(request: HttpRequest, user: User, session_tokens: dict[str, str] | None = None) -> None:
    """Sign the browser in as `user`, as a new accounts session (or the one `session_tokens` belong to)."""
    request.rr_session_tokens = session_tokens  # type: ignore[attr-defined]  # read by rr.accounts.browser.login_started
    login(request, user, backend=SESSION_BACKEND)


def current_id(request: HttpRequest) -> Any:
    return request.session.get(SID_KEY)


def ended(request: HttpRequest) -> bool:
    """Whether this browser was signed in to a session that has ended since."""
    request.user.is_authenticated  # noqa: B018 -- loads the user, which notes an ended session
    return getattr(request, ENDED_ATTR, False)


def end(request: HttpRequest) -> None:
    """Log the browser out: its accounts session ends with the cookie's (rr.accounts.browser.logged_out)."""
    logout(request)


def device_name(user_agent: str | None) -> str:
    """A session's User-Agent as people name a device: "Chrome on Android", "Safari on iOS".

    ua-parser (requirements.txt) with its rules (ua-parser-builtins) reads the string; what
    it does not recognise (an API client's own name) is shown as sent, shortened.
    """
    if not user_agent:
        return "Unknown device"
    result = parse_user_agent(user_agent[:1000])
    browser = result.user_agent.family if result.user_agent else None
    system = result.os.family if result.os else None
    if browser:
        # "Chrome Mobile", "Mobile Safari": the system already says it is a phone.
        browser = browser.removeprefix("Mobile ").removesuffix(" Mobile").removesuffix(" Mobile iOS")
        return f"{browser} on {system}" if system else browser
    if system:
        return f"A browser on {system}"
    return user_agent if len(user_agent) <= 60 else user_agent[:59] + "…"
