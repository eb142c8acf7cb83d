"""Redis unreachable: the rate limits fail open (documented in docs/HARDENING.md), never a 500,
but for the guess limits, which go on counting in this process.

The cache is pointed at a loopback proxy in front of the real Redis, switched down
(connection refused) or silent (accepted, never answered: the client waits for its
1 s socket timeout); the limits are enforced again as soon as Redis is back.
"""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from rr.accounts.models import User
from rr.network.models import Network
from tests.accounts.test_lifecycle import _issue_code, _unclaimed
from tests.hardening.proxy import TcpProxy
from tests.network.helpers import url
from tests.support.cache import clear_own_keys
from tests.support.clients import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_proxy(settings):
    if not django_settings.REDIS_URL:
        pytest.fail("REDIS_URL must be set: make test runs this against Redis")
    cache = settings.CACHES["default"]
    host, port = cache["LOCATION"].split("//")[1].split("/")[0].split(":")
    proxy = TcpProxy(host, int(port)).up()
    settings.CACHES = {
        "default": {
            **cache,
            "LOCATION": f"redis://127.0.0.1:{proxy.port}/{cache['LOCATION'].rsplit('/', 1)[1]}",
            "KEY_PREFIX": "rr_redis_faults",
        }
    }
    yield proxy
    proxy.close()


@pytest.fixture
def tight_limits(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "follow": "2/day",
            "signup": "1/day",
        },
    }


def test_with_redis_down_or_silent_the_limits_fail_open(redis_proxy, tight_limits, api, make_user):
    clear_own_keys()
    me = make_user(password=None)
    client = client_for(me)
    others = [make_user(password=None) for _ in range(4)]

    redis_proxy.down()
    assert [client.post(url("follow", other.username)).status_code for other in others[:3]] == [201] * 3
    assert client.delete(url("unfollow", others[0].username)).status_code == 200
    assert client.get(url("list", "following")).status_code == 200
    signups = [api.post("/auth/user/", {"username": f"walk_in_{i}"}, format="json") for i in range(2)]
    assert [response.status_code for response in signups] == [201, 201]
    health = client.get("/health/")
    assert (health.status_code, health.json()["status"]) == (200, "degraded")

    redis_proxy.silent()
    assert client.post(url("follow", others[3].username)).status_code == 201
    assert api.post("/auth/user/", {"username": "walk_in_2"}, format="json").status_code == 201

    redis_proxy.up()
    clear_own_keys()
    assert client.delete(url("unfollow", others[1].username)).status_code == 200
    assert client.delete(url("unfollow", others[2].username)).status_code == 200
    assert client.delete(url("unfollow", others[3].username)).status_code == 429
    assert api.post("/auth/user/", {"username": "walk_in_3"}, format="json").status_code == 201
    assert api.post("/auth/user/", {"username": "walk_in_4"}, format="json").status_code == 429
    assert Network.objects.filter(follower=me).count() == 1


PASSWORD = "a sturdy passphrase 42"
NEW = "another sturdy passphrase 43"


@pytest.fixture
def guess_limits(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            **dict.fromkeys(["login_name", "password_guess", "recovery", "admin_login"], "2/hour"),
        },
    }


def _three(attempt):
    """Two wrong guesses, then the right secret: its status (429 while the limit holds)."""
    return [attempt(f"wrong {i}") for i in range(2)] + [attempt(None)]


def test_with_redis_down_the_guess_limits_hold(redis_proxy, guess_limits, plain_static_storage, api, make_user):
    clear_own_keys()
    users = {name: make_user(name, password=PASSWORD) for name in ("by_api", "by_web", "changer", "deleter")}
    root = User.objects.create_superuser("root", PASSWORD)
    _unclaimed("recovering")
    code = _issue_code("recovering")
    admin = Client(REMOTE_ADDR="10.71.0.1")  # password_guess's window of its own address
    admin.force_login(root)
    redis_proxy.down()

    def api_login(secret):
        return api.post(
            "/auth/user/", {"username": "by_api", "password": secret or PASSWORD}, format="json"
        ).status_code

    def web_login(secret):
        return Client().post("/login/", {"username": "by_web", "password": secret or PASSWORD}).status_code

    def current_password(secret):
        client = client_for(users["changer"])
        body = {"password": NEW, "current_password": secret or PASSWORD}
        return client.post("/auth/password/", body, format="json").status_code

    def deletion(secret):
        client = client_for(users["deleter"])
        # Another address: current_password's guesses spent this scope's window of 127.0.0.1.
        body = {"password": secret or PASSWORD}
        return client.delete("/auth/user/", body, format="json", REMOTE_ADDR="10.70.0.1").status_code

    def recovery(secret):
        body = {"username": "recovering", "code": secret or code, "password": NEW}
        return api.post("/auth/recover/", body, format="json").status_code

    def admin_login(secret):
        browser = Client()
        page = browser.post("/admin/login/", {"username": "root", "password": secret or PASSWORD})
        if "Too many login attempts" in page.content.decode():
            return 429
        return 200 if "_auth_user_id" in browser.session else 401

    def admin_password_change(secret):
        body = {"old_password": secret or PASSWORD, "new_password1": NEW, "new_password2": NEW}
        page = admin.post("/admin/password_change/", body)
        return 429 if "Too many password change attempts" in page.content.decode() else page.status_code

    assert _three(api_login) == [401, 401, 429]
    assert _three(web_login) == [401, 401, 429]
    assert _three(current_password) == [401, 401, 429]
    assert _three(deletion) == [401, 401, 429]
    assert _three(recovery) == [401, 401, 429]
    assert _three(admin_login) == [401, 401, 429]
    assert _three(admin_password_change) == [200, 200, 429]
    for user in [*users.values(), root]:
        user.refresh_from_db()
        assert user.check_password(PASSWORD)
    assert not User.objects.get(username="recovering").has_usable_password()
    health = api.get("/health/")
    assert (health.status_code, health.json()["status"]) == (200, "degraded")


def test_with_redis_silent_a_guess_limit_holds(redis_proxy, guess_limits, api):
    _unclaimed("recovering")
    code = _issue_code("recovering")
    redis_proxy.silent()

    def recovery(secret):
        body = {"username": "recovering", "code": secret or code, "password": NEW}
        return api.post("/auth/recover/", body, format="json").status_code

    assert _three(recovery) == [401, 401, 429]


def test_an_address_remembered_while_redis_was_down_is_known_once_it_is_back(redis_proxy, settings, make_user):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login_name_ceiling": "1/hour"},
    }
    make_user("owner", password=PASSWORD)
    redis_proxy.down()
    owner = APIClient(REMOTE_ADDR="10.60.0.1")
    assert owner.post("/auth/user/", {"username": "owner", "password": PASSWORD}, format="json").status_code == 200
    redis_proxy.up()
    stranger = APIClient(REMOTE_ADDR="10.60.0.2")
    for _ in range(2):
        stranger.post("/auth/user/", {"username": "owner", "password": "wrong"}, format="json")
    assert owner.post("/auth/user/", {"username": "owner", "password": PASSWORD}, format="json").status_code == 200
