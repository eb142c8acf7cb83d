import pytest


@pytest.fixture(autouse=True)
def _plain_static(plain_static_storage):
    """No collectstatic in a test run: the pages' {% static %} tags use the plain storage."""
