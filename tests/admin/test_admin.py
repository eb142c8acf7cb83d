"""The Django admin: a superuser browses users, checklists, regrets and networks."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rr.accounts.models import User
from rr.checklists import services as checklist_services
from rr.network import services as network_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(superuser_browser, client_of, make_user):
    browser = superuser_browser
    alice, bob = make_user("alice"), make_user("bob")
    User.objects.create(username="o'neil with spaces", password="!")  # a legacy name
    network_services.network_follow(follower=alice, target=bob)
    checklist, _ = checklist_services.checklist_for_day(
        user=alice, local_datetime=datetime(2025, 6, 19, 12, tzinfo=UTC)
    )
    regret, _ = checklist_services.regret_add(user=alice, checklist_id=checklist.pk, description="read a book")
    browser.ids = {"user": alice.pk, "checklist": checklist.pk, "regret": regret.pk}
    return browser


CHANGELISTS = {
    "user": [
        "",
        "?q=alice",
        "?q=o%27neil",
        "?is_active__exact=1",
        "?is_staff__exact=0",
        "?allow_networking__exact=1",
        "?o=1",
    ],
    "checklist": [
        "",
        "?q=alice",
        "?completed__exact=0",
        "?created_at__gte=2025-06-01T00:00:00%2B00:00",
        "?user__id__exact=1",
    ],
    "regret": ["", "?q=book", "?q=alice", "?success__exact=0"],
    "network": ["", "?q=alice", "?q=bob"],
}


@pytest.mark.parametrize(
    ("model", "query"), [(model, query) for model, queries in CHANGELISTS.items() for query in queries]
)
def test_changelists_open_with_search_and_filters(admin_browser, model, query):
    response = admin_browser.get(f"/admin/rr/{model}/{query}")

    assert response.status_code == 200
    assert b"Select " in response.content  # the changelist page, not an error or a login form


@pytest.mark.parametrize("model", ["user", "checklist", "regret", "network"])
def test_changelist_queries_do_not_grow_with_the_rows(admin_browser, make_user, model):
    with CaptureQueriesContext(connection) as few:
        admin_browser.get(f"/admin/rr/{model}/")
    alice = User.objects.get(username="alice")
    for day in range(1, 11):
        checklist, _ = checklist_services.checklist_for_day(
            user=alice, local_datetime=datetime(2025, 5, day, 12, tzinfo=UTC)
        )
        checklist_services.regret_add(user=alice, checklist_id=checklist.pk, description=f"regret {day}")
        network_services.network_follow(follower=alice, target=make_user())

    with CaptureQueriesContext(connection) as many:
        assert admin_browser.get(f"/admin/rr/{model}/").status_code == 200

    assert len(many.captured_queries) == len(few.captured_queries)


def test_search_finds_the_right_rows(admin_browser):
    found = admin_browser.get("/admin/rr/user/?q=alice").context["cl"].result_list
    assert [user.username for user in found] == ["alice"]
    regrets = admin_browser.get("/admin/rr/regret/?q=book").context["cl"].result_list
    assert [regret.description for regret in regrets] == ["read a book"]


@pytest.mark.parametrize("model", ["user", "checklist", "regret"])
def test_change_pages_open(admin_browser, model):
    response = admin_browser.get(f"/admin/rr/{model}/{admin_browser.ids[model]}/change/")

    assert response.status_code == 200


def test_the_add_user_page_opens(admin_browser):
    assert admin_browser.get("/admin/rr/user/add/").status_code == 200


def test_a_staff_member_without_permissions_is_refused(admin_browser, make_user):
    staff = make_user("staffer", is_staff=True)
    browser = Client()
    browser.force_login(staff)

    assert browser.get("/admin/rr/user/").status_code == 403
