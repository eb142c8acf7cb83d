"""`/admin/login/` guessing limit: per client address and per username, before any hashing."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from rr.common.throttling import guess_allowed


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self):
        # Counted before authenticate(): over the limit, even the right password is refused
        # and no hash is computed. The same shared-cache limits as the API's guesses.
        allowed, wait = guess_allowed(self.request, "admin_login", username=self.data.get("username"))
        if not allowed:
            minutes = max(1, int(wait // 60) + 1)
            raise ValidationError(f"Too many login attempts. Try again in {minutes} minute(s).", code="rate_limited")
        return super().clean()


def install(site):
    """Make `site` (the admin) log in through ThrottledAdminAuthenticationForm."""
    site.login_form = ThrottledAdminAuthenticationForm
