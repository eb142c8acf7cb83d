"""The admin of the follow graph: search, deletes that keep the counts, read-only counts."""

import pytest
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory

from rr.accounts.models import User
from rr.network.models import Network
from tests.support.counts import assert_counts_exact, counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]


@pytest.fixture
def admin_user(make_user):
    return make_user(password=None, is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def graph(make_user, follow):
    alice, bob, carol = (make_user(username=name, password=None) for name in ("alice", "bob", "carol"))
    links = {
        "alice>bob": follow(alice, bob),
        "bob>carol": follow(bob, carol),
        "carol>alice": follow(carol, alice),
        "carol>bob": follow(carol, bob),
    }
    return {"alice": alice, "bob": bob, "carol": carol, **links}


def changelist_ids(response):
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("query", "expected"),
    [("alice", {"alice>bob", "carol>alice"}), ("bob", {"alice>bob", "bob>carol", "carol>bob"}), ("zed", set())],
)
def test_networks_are_searchable_by_either_username(admin_client, graph, query, expected):
    response = admin_client.get("/admin/rr/network/", {"q": query})
    assert response.status_code == 200
    assert changelist_ids(response) == {graph[key].pk for key in expected}


def test_deleting_a_link_in_the_admin_moves_the_counts(admin_client, graph):
    link = graph["alice>bob"]
    response = admin_client.post(f"/admin/rr/network/{link.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Network.objects.filter(pk=link.pk).exists()
    assert counts(graph["alice"]) == (1, 0) and counts(graph["bob"]) == (1, 1)
    assert_counts_exact()


def test_bulk_deleting_links_in_the_admin_moves_the_counts(admin_client, graph):
    chosen = [graph["carol>alice"].pk, graph["carol>bob"].pk]
    response = admin_client.post(
        "/admin/rr/network/", {"action": "delete_selected", "_selected_action": chosen, "post": "yes"}
    )
    assert response.status_code == 302
    assert Network.objects.count() == 2
    assert counts(graph["carol"]) == (1, 0)
    assert_counts_exact()


def test_deleting_a_user_in_the_admin_moves_the_neighbours_counts(admin_client, graph):
    bob = graph["bob"]
    response = admin_client.post(f"/admin/rr/user/{bob.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=bob.pk).exists()
    assert counts(graph["alice"]) == (1, 0) and counts(graph["carol"]) == (0, 1)
    assert_counts_exact()


def test_bulk_deleting_users_in_the_admin_moves_the_counts(admin_client, graph):
    chosen = [graph["alice"].pk, graph["bob"].pk]
    response = admin_client.post(
        "/admin/rr/user/", {"action": "delete_selected", "_selected_action": chosen, "post": "yes"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=chosen).exists()
    assert counts(graph["carol"]) == (0, 0)
    assert Network.objects.count() == 0
    assert_counts_exact()


def test_the_model_admin_methods_keep_the_counts(admin_user, graph):
    request = RequestFactory().post("/")
    request.user = admin_user
    site._registry[Network].delete_model(request, graph["bob>carol"])
    site._registry[Network].delete_queryset(request, Network.objects.filter(follower=graph["carol"]))
    assert Network.objects.count() == 1
    site._registry[User].delete_model(request, graph["bob"])
    site._registry[User].delete_queryset(request, User.objects.filter(pk=graph["carol"].pk))
    assert Network.objects.count() == 0
    assert counts(graph["alice"]) == (0, 0)
    assert_counts_exact()


def test_counts_are_read_only_in_the_user_admin(admin_client, admin_user, graph):
    alice = graph["alice"]
    request = RequestFactory().get("/")
    request.user = admin_user
    readonly = site._registry[User].get_readonly_fields(request, alice)
    assert {"followers_count", "following_count"} <= set(readonly)

    page = admin_client.get(f"/admin/rr/user/{alice.pk}/change/")
    assert page.status_code == 200
    assert "followers_count" not in page.context["adminform"].form.fields
    assert "following_count" not in page.context["adminform"].form.fields

    response = admin_client.post(
        f"/admin/rr/user/{alice.pk}/change/",
        {
            "username": "alice",
            "allow_networking": "on",
            "is_active": "on",
            "followers_count": "999",
            "following_count": "999",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert counts(alice) == (1, 1)
    assert_counts_exact()
