"""Signing in from the browser: the API's accounts services and rate limits, a session cookie."""

from django.contrib.auth import login as session_login
from django.contrib.auth import logout as session_logout
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rr.accounts import services as account_services
from rr.common.errors import ServiceError
from rr.common.throttling import LoginThrottle, SignupThrottle
from rr.web import forms
from rr.web.common import Refused, rate_limit

SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def welcome(request):
    """The front door: sign up or log in with a username and a password."""
    if request.user.is_authenticated:
        return redirect("web:today")
    form = forms.SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = _sign_in(request, form.cleaned_data)
        except Refused as refusal:
            form.add_error(refusal.field, refusal.message)
            status = refusal.status_code
        else:
            session_login(request, user, backend=SESSION_BACKEND)
            return redirect("web:today")
    elif request.method == "POST":
        status = 400
    return render(request, "web/welcome.html", {"form": form}, status=status)


def _sign_in(request, data):
    """The user the form signs in: a new account ("Sign up") or an existing one ("Log in").

    The same rate limits as POST /auth/user/: every attempt counts against the login
    window of the client's address, a sign-up also against the sign-up window.
    """
    username, password = data["username"], data["password"]
    rate_limit(request, LoginThrottle)
    if data["action"] == "signup":
        rate_limit(request, SignupThrottle)
        try:
            return account_services.account_create(username=username, password=password)
        except ServiceError as exc:
            field = "password" if exc.message.startswith("Invalid password") else "username"
            raise Refused(exc.message, field=field, status_code=exc.status_code) from exc
    try:
        return account_services.account_login(username=username, password=password)
    except ServiceError as exc:
        raise Refused(exc.message, field="password", status_code=exc.status_code) from exc


@require_POST
def logout(request):
    session_logout(request)
    return redirect("web:welcome")
