"""Fixtures of the issue-12 tests: users, follows and days built through the services."""

from datetime import UTC, datetime, timedelta

import pytest

from rr.checklists import services as checklist_services
from rr.network import services as network_services


@pytest.fixture
def follow(db):
    def make(follower, target):
        return network_services.network_follow(follower=follower, target=target)

    return make


@pytest.fixture
def day(db):
    """A checklist of `user` on UTC day `on` (a date) with `total` regrets, `resolved` of them done."""

    def make(user, on, *, total=1, resolved=None):
        resolved = total if resolved is None else resolved
        at = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
        made, _ = checklist_services.checklist_for_day(user=user, local_datetime=at)
        regrets = [
            checklist_services.regret_add(user=user, checklist_id=made.pk, description=f"r{i}")[0] for i in range(total)
        ]
        for regret in regrets[:resolved]:
            checklist_services.regret_resolve(user=user, checklist_id=made.pk, regret_id=regret.pk, success=True)
        return made

    return make


def utc_today():
    return datetime.now(UTC).date()


def days_ago(n):
    return utc_today() - timedelta(days=n)
