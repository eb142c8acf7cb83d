"""Body-less endpoints accept an empty body of any content type; a non-empty non-JSON body is refused."""

import pytest
from django.test import Client

from rr.accounts import services as account_services
from rr.network.models import Network

pytestmark = pytest.mark.django_db


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {account_services.tokens_for(user)['access']}"}


def test_an_empty_form_post_follows_and_an_empty_form_delete_unfollows(make_user):
    me, other = make_user(), make_user()
    client = Client(**bearer(me))

    # Django's test client sends an empty multipart body (its closing boundary) here.
    assert client.post(f"/api/network/follow/{other.username}/").status_code == 201
    assert Network.objects.filter(follower=me, following=other).exists()
    response = client.delete(
        f"/api/network/unfollow/{other.username}/", "", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not Network.objects.filter(follower=me, following=other).exists()


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", "application/json"])
def test_an_empty_body_of_any_content_type_is_no_body(make_user, content_type):
    me, other = make_user(), make_user()
    response = Client(**bearer(me)).post(f"/api/network/follow/{other.username}/", "", content_type=content_type)
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ({"a": "1"}, None, 415),  # a multipart form with a field
        ("a=1", "application/x-www-form-urlencoded", 415),
        ("hello", "text/plain", 415),
        ("{", "application/json", 400),
    ],
)
def test_a_body_that_is_not_json_stays_refused_and_changes_nothing(make_user, body, content_type, status):
    me, other = make_user(), make_user()
    client = Client(**bearer(me))
    path = f"/api/network/follow/{other.username}/"
    response = client.post(path, body) if content_type is None else client.post(path, body, content_type=content_type)
    assert response.status_code == status
    assert "error" in response.json()
    assert not Network.objects.exists()
