"""Network fixtures (follows and checklists are in tests/conftest.py).

Legacy rows (names today's rules refuse, two checklists on one day) cannot be made
through the services; they are inserted the way the previous release left them.
"""

import pytest

from rr.accounts.models import User


@pytest.fixture
def legacy_user(db):
    """A user row as the legacy release wrote it: any name, no usable password."""

    def make(username, **fields):
        return User.objects.create(username=username, password="!", **fields)

    return make
