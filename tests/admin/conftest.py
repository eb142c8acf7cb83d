import pytest
from django.test import Client

from rr.accounts.models import User


@pytest.fixture
def superuser_browser(plain_static_storage):
    """A browser signed in to the admin as a superuser, `root`."""
    browser = Client()
    browser.force_login(User.objects.create_superuser("root", "root passphrase 42"))
    return browser
