"""Redis unreachable: the rate limits fail open (documented in docs/HARDENING.md), never a 500.

The cache is pointed at a loopback proxy in front of the real Redis, switched down
(connection refused) or silent (accepted, never answered: the client waits for its
1 s socket timeout); the limits are enforced again as soon as Redis is back.
"""

import pytest
from django.conf import settings as django_settings

from rr.network.models import Network
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
