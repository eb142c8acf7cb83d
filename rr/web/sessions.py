"""A browser's sign-in is one of the account's sessions (rr.accounts' Session rows).

The browser keeps Django's session cookie; beside the user it remembers the id of the
accounts session started at sign-in, so the account's session list shows the browser,
and "Log out everywhere else", a password change or a recovery (which end sessions
through the accounts services) end the browser's too: a signed-in page first checks
that its session is still live.
"""

from django.contrib.auth import login, logout

from rr.accounts import services as account_services
from rr.accounts import tokens
from rr.common.errors import ServiceError

SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"
SID_KEY = "rr_sid"


def _user_agent(request):
    return request.headers.get("User-Agent", "")


def session_id_of(session_tokens):
    """The accounts session id carried by a session's tokens (their `sid` claim)."""
    return tokens.decode(session_tokens["refresh"], token_type="refresh")["sid"]


def begin(request, user, session_tokens=None):
    """Sign the browser in as `user`, as a new accounts session (or the one `session_tokens` belong to)."""
    session_tokens = session_tokens or account_services.session_start(user, user_agent=_user_agent(request))
    login(request, user, backend=SESSION_BACKEND)
    request.session[SID_KEY] = session_id_of(session_tokens)


def renew(request, user):
    """After a change that ended every session (a new password): this browser goes on as a new one."""
    session_tokens = account_services.session_start(user, user_agent=_user_agent(request))
    request.session[SID_KEY] = session_id_of(session_tokens)


def current_id(request):
    return request.session.get(SID_KEY)


def live(request):
    """Whether the browser's accounts session still exists (not ended elsewhere, not expired)."""
    sid = current_id(request)
    return sid is not None and any(session.pk == sid for session in account_services.session_list(user=request.user))


def end(request):
    """Log the browser out: its accounts session ends, then the cookie's."""
    sid = current_id(request)
    if sid is not None and request.user.is_authenticated:
        try:
            account_services.session_end(user=request.user, session_id=sid)
        except ServiceError:
            pass  # already ended elsewhere
    logout(request)
