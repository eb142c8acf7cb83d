"""/health/: 200 when the database answers (Redis down is `degraded`); 503 JSON when it does not."""

import pytest
from django.db import connections
from django.test import Client


def test_healthy(db, settings):
    response = Client().get("/health/")
    assert response.status_code == 200
    expected = {"database": "ok", **({"redis": "ok"} if settings.REDIS_URL else {})}
    assert response.json() == {"status": "ok", "checks": expected}
    assert response["Cache-Control"] == "no-store"


def test_without_redis_configured_only_the_database_is_checked(db, settings):
    settings.REDIS_URL = ""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert Client().get("/health/").json()["checks"] == {"database": "ok"}


def test_the_platform_probe_is_answered_over_plain_http_and_an_internal_host(db, settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    probe = Client(HTTP_HOST="10.214.3.7:10000")
    assert probe.get("/health/").status_code == 200
    # Everything else still gets the host check and the redirect.
    assert probe.get("/api/checklists/").status_code == 400
    assert Client(HTTP_HOST="api.example.com").get("/api/checklists/").status_code == 301


def test_200_degraded_when_redis_does_not_answer(db, settings, closed_port):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = Client().get("/health/")
    # The API serves without Redis (limits fail open): the instance stays in rotation.
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "redis": "unavailable"},
        "degraded": ["redis"],
    }


@pytest.mark.django_db
def test_503_when_the_database_does_not_answer(settings, closed_port):
    settings.REDIS_URL = ""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    working = connections["default"]
    # A real second connection, to a port where no server listens, stands in as `default`.
    unreachable = working.__class__({**working.settings_dict, "HOST": "127.0.0.1", "PORT": closed_port}, "default")
    connections["default"] = unreachable
    try:
        response = Client().get("/health/")
    finally:
        connections["default"] = working
        unreachable.close()
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable"},
        "error": "A dependency is unavailable: database",
        "code": "service_unavailable",
    }
