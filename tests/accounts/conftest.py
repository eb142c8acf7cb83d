import pytest
from django.contrib.auth.hashers import check_password as real_check_password


@pytest.fixture
def throttle_rates(settings):
    """Override some DEFAULT_THROTTLE_RATES for one test (the throttles read them live)."""

    def override(**rates):
        current = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {
            **current,
            "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates},
        }

    return override


@pytest.fixture
def hashes(monkeypatch):
    """How many password hashes were computed (check_password calls)."""
    calls = []

    def counting(password, encoded, *args, **kwargs):
        calls.append(1)
        return real_check_password(password, encoded, *args, **kwargs)

    monkeypatch.setattr("django.contrib.auth.base_user.check_password", counting)
    return calls
