import pytest

from tests.support import pg


@pytest.fixture(scope="session")
def legacy_snapshot():
    """The legacy snapshot, loaded once per session; clone it (TEMPLATE), never change it."""
    with pg.legacy_database("legacy") as name:
        yield name
