"""Fixtures of the issue-12 tests: days built through the services (follows: tests/conftest.py)."""

from datetime import UTC, datetime, timedelta

import pytest


@pytest.fixture
def day(checklist):
    """A checklist of `user` on UTC day `on` (a date) with `total` regrets, `resolved` of them done."""

    def make(user, on, *, total=1, resolved=None):
        # Noon of that day; today before noon, now: a checklist dated ahead of the server's
        # clock is refused (rr/checklists/services.py FUTURE_TOLERANCE).
        at = min(datetime(on.year, on.month, on.day, 12, tzinfo=UTC), datetime.now(UTC))
        return checklist(user, at, total=total, resolved=total if resolved is None else resolved)

    return make


def utc_today():
    return datetime.now(UTC).date()


def days_ago(n):
    return utc_today() - timedelta(days=n)
