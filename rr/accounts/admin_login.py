"""The admin's guess limits: `/admin/login/` and `/admin/password_change/`, before any hashing.

The login counts against the admin's login limits (rr.common.throttling.ADMIN: per
address, and a per-name ceiling an address the name signed in from skips), shared with
the API's and the web's logins to staff accounts; the password change's old password
against `password_guess`, like the API's `current_password`.
"""

from collections.abc import Callable
from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm, AdminPasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse

from rr.accounts import browser
from rr.common.throttling import ADMIN, guess_allowed, login_allowed, login_succeeded


def _refusal(wait: float, what: str = "login") -> ValidationError:
    minutes = max(1, int(wait // 60) + 1)
    return ValidationError(f"Too many {what} attempts. Try again in {minutes} minute(s).", code="rate_limited")


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    request: HttpRequest  # the admin's login view always hands its request

    def clean(self) -> dict[str, Any]:
        # Counted before authenticate(): over the limit, even the right password is refused
        # and no hash is computed.
        allowed, wait = login_allowed(self.request, self.data.get("username"), ADMIN)
        if not allowed:
            raise _refusal(wait)
        cleaned = super().clean()
        login_succeeded(self.request, self.get_user().get_username())
        return cleaned


class LimitedAdminPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's password change: its old password counted before it is hashed."""

    def __init__(self, user: Any, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        allowed, wait = guess_allowed(self.request, "password_guess", username=self.user.get_username())
        if not allowed:
            raise _refusal(wait, "password change")
        return super().clean_old_password()


class _LimitedPasswordChangeView(PasswordChangeView):
    form_class = LimitedAdminPasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form: LimitedAdminPasswordChangeForm) -> HttpResponse:  # type: ignore[override]
        # The new password ended every session of the account (User.save), this browser's
        # too: it goes on as a new one, as the web app's does (browser.renew).
        response = super().form_valid(form)
        browser.renew(self.request, form.user)
        return response


def _password_change(site: AdminSite) -> Callable[..., HttpResponseBase]:
    def password_change(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponseBase:
        # AdminSite.password_change of Django 5.2, with the limited form: Django's picks
        # its form class itself and hands it no request.
        defaults = {
            "success_url": reverse("admin:password_change_done", current_app=site.name),
            "extra_context": {**site.each_context(request), **(extra_context or {})},
        }
        if site.password_change_template is not None:
            defaults["template_name"] = site.password_change_template
        request.current_app = site.name
        return _LimitedPasswordChangeView.as_view(**defaults)(request)

    return password_change


def install(site: AdminSite) -> None:
    """Make `site` (the admin) log in and change passwords under the guess limits."""
    site.login_form = ThrottledAdminAuthenticationForm
    site.password_change = _password_change(site)  # type: ignore[method-assign,assignment]  # this site's view
