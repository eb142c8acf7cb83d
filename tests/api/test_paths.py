"""Every /api/ and /auth/ path answers with or without its trailing slash, and unknown
paths there are JSON 404s, with DEBUG on (`make run`) as well as off."""

import pytest
from django.test import override_settings

from rr.checklists.models import Checklist

from .endpoints import ENDPOINTS, assert_json_error, sample_path

pytestmark = pytest.mark.django_db

LOCAL = "2025-06-19T01:00:00+08:00"


@pytest.mark.parametrize(("method", "path"), sorted(ENDPOINTS))
@pytest.mark.parametrize("debug", [False, True])
def test_every_endpoint_answers_without_its_trailing_slash_with_no_redirect(api, method, path, debug):
    with override_settings(DEBUG=debug):
        with_slash = getattr(api, method.lower())(sample_path(path))
        without = getattr(api, method.lower())(sample_path(path).rstrip("/"))

    assert without.status_code == with_slash.status_code
    assert without.status_code not in (301, 302, 307, 308, 404, 500)
    assert without.json()["code"] == with_slash.json()["code"]


@pytest.mark.parametrize("debug", [False, True])
def test_a_post_without_the_slash_reaches_the_view_with_its_body(client, user, debug):
    # Under APPEND_SLASH this was a 500 HTML page (DEBUG) or a 301 followed as a GET.
    with override_settings(DEBUG=debug):
        response = client.post("/api/checklists", {"local_datetime": LOCAL}, format="json")

    assert response.status_code == 201, response.content
    assert Checklist.objects.filter(user=user).count() == 1


def test_a_path_with_a_query_string_keeps_it_without_the_slash(client, make_user, user):
    response = client.get("/api/network/list/following?page_size=abc")

    assert assert_json_error(response, 400, "invalid_field")["fields"] == {"page_size": ["Must be a positive integer."]}


@pytest.mark.parametrize(
    "path", ["/api", "/auth", "/api/nope", "/api/nope/", "/auth/nope", "/api/checklists/1/nope", "/api/checklists/x"]
)
@pytest.mark.parametrize("debug", [False, True])
def test_unknown_paths_are_json_404_with_debug_on_or_off(api, path, debug):
    with override_settings(DEBUG=debug):
        for method in ("GET", "POST", "DELETE"):
            response = getattr(api, method.lower())(path)
            assert_json_error(response, 404, "not_found")


def test_paths_outside_the_api_keep_django_behaviour(api, plain_static_storage):
    # The admin still redirects to its slashed path (browsers follow it happily).
    assert api.get("/admin").status_code == 301
