"""Network fixtures: users, follows and checklists built through the services.

Legacy rows (names today's rules refuse, two checklists on one day) cannot be made
through the services; they are inserted the way the previous release left them.
"""

import pytest

from rr.accounts.models import User
from rr.checklists import services as checklist_services
from rr.network import services as network_services


@pytest.fixture
def legacy_user(db):
    """A user row as the legacy release wrote it: any name, no usable password."""

    def make(username, **fields):
        return User.objects.create(username=username, password="!", **fields)

    return make


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
