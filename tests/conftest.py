"""Fixtures build data the way users do: through the services."""

import itertools
from datetime import UTC, datetime, time

import pytest
import time_machine
from rest_framework.test import APIClient

from rr.accounts import services as account_services
from rr.checklists import services as checklist_services
from rr.common.throttling import local_windows
from rr.network import services as network_services
from tests.support.cache import clear_own_keys
from tests.support.clients import client_for

_names = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def _leave_redis_as_found():
    # This run's keys only (its own CACHE_KEY_PREFIX): Redis may be shared.
    yield
    clear_own_keys()


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    # Rate-limit windows live in the shared cache; each test starts with fresh ones
    # (deleting this run's keys only, never the whole Redis database), and with none of
    # the guess limits' stand-ins in this process's memory (counted while Redis was down).
    clear_own_keys()
    local_windows.clear()
    yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's default rounds cost a fifth of a second per password and the suite hashes
    # hundreds. The slow hashers stay listed so stored hashes (the legacy admin's) still verify.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture(params=[None, "00:30", "10:30", "11:30", "12:30", "23:30"], ids=lambda hour: hour or "now")
def clock(request):
    """For a test that reads the clock, as CI starts at any hour: it runs at the real time and
    at fixed UTC times, around UTC midnight and where a day at +14:00 or -12:00 turns over
    with a grace of up to 2 hours (10:00 to 14:00 UTC; tests/checklists/test_day_close.py).
    Today's date, as sessions expire by the database's clock
    (rr.accounts.models.SessionQuerySet.live), which does not travel. Requested first, so
    the test's users are made on the same clock."""
    if request.param is None:
        yield
        return
    hour = time.fromisoformat(request.param)
    with time_machine.travel(datetime.combine(datetime.now(UTC).date(), hour, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def make_user(db):
    def make(username=None, password="a sturdy passphrase 42", **fields):
        user = account_services.account_create(username=username or f"user_{next(_names)}", password=password)
        if fields:
            for key, value in fields.items():
                setattr(user, key, value)
            user.save(update_fields=list(fields))
        return user

    return make


@pytest.fixture
def client_of():
    """`client_for` as a fixture: `client_of(user)` is a client authenticated as `user`."""
    return client_for


@pytest.fixture
def api():
    """An anonymous client."""
    return APIClient()


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def client(user):
    """A client authenticated as `user`."""
    return client_for(user)


@pytest.fixture
def plain_static_storage(settings):
    """Production serves collectstatic's manifest; a test run has none, so pages with
    {% static %} tags (the admin, /docs/) use the plain storage."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def follow(db):
    def make(follower, target):
        return network_services.network_follow(follower=follower, target=target)

    return make


@pytest.fixture
def checklist(db):
    """A checklist of `user` for the local day of `at`, with `total` regrets of which `resolved` are done."""

    def make(user, at, *, total=0, resolved=0):
        made, _ = checklist_services.checklist_for_day(user=user, local_datetime=at)
        regrets = [
            checklist_services.regret_add(user=user, checklist_id=made.pk, description=f"regret {i}")[0]
            for i in range(total)
        ]
        for regret in regrets[:resolved]:
            checklist_services.regret_resolve(user=user, checklist_id=made.pk, regret_id=regret.pk, success=True)
        made.refresh_from_db()
        return made

    return make


@pytest.fixture
def day(checklist):
    """A checklist of `user` on UTC day `on` (a date) with `total` regrets, `resolved` of them done."""

    def make(user, on, *, total=1, resolved=None):
        # Noon of that day; today before noon, now: a checklist dated ahead of the server's
        # clock is refused (rr/checklists/services.py FUTURE_TOLERANCE).
        at = min(datetime(on.year, on.month, on.day, 12, tzinfo=UTC), datetime.now(UTC))
        return checklist(user, at, total=total, resolved=total if resolved is None else resolved)

    return make


@pytest.fixture
def unthrottled(settings):
    """No rate limits: for storms and tests that make more calls than a limit allows."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
    }
