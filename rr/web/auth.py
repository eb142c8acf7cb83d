"""Signing in from the browser: the API's accounts services and rate limits, a session cookie."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.common.errors import ServiceError
from rr.common.throttling import LoginThrottle, SignupThrottle, login_allowed, login_staff_allowed, login_succeeded
from rr.web import forms, sessions
from rr.web.common import Refused, guess, rate_limit, refuse_over


def welcome(request: HttpRequest) -> HttpResponse:
    """The front door for newcomers: sign up (the page's one form; Enter signs up).

    The welcome page before `/login/` had one form for both, its button sending
    `action=login` or `action=signup`: such a post (a page loaded before a deploy, a
    script) still does what its button said.
    """
    return _front_door(request, "login" if request.POST.get("action") == "login" else "signup")


def login(request: HttpRequest) -> HttpResponse:
    """The way back in: log in (the page's one form; Enter logs in)."""
    return _front_door(request, "login")


def _front_door(request: HttpRequest, action: str) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:today")
    form = forms.SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = _sign_in(request, action, form.cleaned_data)
        except Refused as refusal:
            form.add_error(refusal.field, refusal.message)
            status = refusal.status_code
        else:
            login_succeeded(request, user.username)
            sessions.begin(request, user)
            return redirect("web:today")
    elif request.method == "POST":
        status = 400
    template = "web/welcome.html" if action == "signup" else "web/login.html"
    return render(request, template, {"form": form, "support": support_contact()}, status=status)


def _sign_in(request: HttpRequest, action: str, data: dict[str, Any]) -> User:
    """The user the form signs in: a new account ("Sign up") or an existing one ("Log in").

    The same limits as POST /auth/user/: every attempt counts against the login window
    of the client's address, a sign-up also against the sign-up window, a login's
    password against the login limits (rr.common.throttling.login_allowed; a staff
    account's against the admin's too) before it is hashed.
    """
    username, password = data["username"], data["password"]
    rate_limit(request, LoginThrottle)
    if action == "signup":
        rate_limit(request, SignupThrottle)
        try:
            return account_services.account_create(username=username, password=password)
        except ServiceError as exc:
            field = "password" if exc.field == "password" else "username"
            raise Refused(exc.message, field=field, status_code=exc.status_code) from exc
    refuse_over(login_allowed(request, username), field="password")
    try:
        return account_services.account_login(
            username=username,
            password=password,
            before_password=lambda user: refuse_over(login_staff_allowed(request, user), field="password"),
        )
    except ServiceError as exc:
        raise Refused(exc.message, field="password", status_code=exc.status_code) from exc


def support_contact() -> dict[str, str | None] | None:
    """SUPPORT_CONTACT as a link: (href, text), or None when unset (the pages then say whom to ask)."""
    contact = settings.SUPPORT_CONTACT
    if not contact:
        return None
    if contact.startswith(("https://", "http://")):
        return {"href": contact, "text": contact}
    if "@" in contact and " " not in contact:
        return {"href": f"mailto:{contact}", "text": contact}
    return {"href": None, "text": contact}


def recover(request: HttpRequest) -> HttpResponse:
    """A new password with a one-time recovery code from support (claims a legacy account too)."""
    if request.user.is_authenticated:
        return redirect("web:settings")
    form = forms.RecoverForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            guess(request, "recovery", None, field="code")  # per address only, as the API
            user, session_tokens = account_services.account_recover(
                username=data["username"],
                code=data["code"],
                password=data["password"],
                user_agent=request.headers.get("User-Agent", ""),
            )
        except Refused as refusal:
            form.add_error(refusal.field, refusal.message)
            status = refusal.status_code
        except ServiceError as exc:
            form.add_error("password" if exc.field == "password" else "code", exc.message)
            status = exc.status_code
        else:
            login_succeeded(request, user.username)
            sessions.begin(request, user, session_tokens)
            messages.success(request, "Your account is yours again: your new password is set.")
            return redirect("web:today")
    elif request.method == "POST":
        status = 400
    return render(request, "web/recover.html", {"form": form, "support": support_contact()}, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    sessions.end(request)
    messages.success(request, "You are logged out. See you tomorrow!")
    return redirect("web:login")
