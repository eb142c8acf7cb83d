"""network_page, through GET /api/network/list/<following|followers>/."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.checklists.models import Checklist
from rr.network import api as network_api
from rr.network import services
from rr.network.models import Network
from tests.network.helpers import ENTRY_FIELDS, url
from tests.support.clients import client_for
from tests.support.counts import counts

pytestmark = pytest.mark.django_db

PLUS_8 = timezone(timedelta(hours=8))


def listing(user, kind, **params):
    response = client_for(user).get(url("list", kind), params)
    assert response.status_code == 200, response.json()
    return response.json()


def entries_by_name(body):
    return {entry["username"]: entry for entry in body["users"]}


def test_both_lists_show_every_field(make_user, follow):
    me, fan, friend, idol = (make_user(password=None) for _ in range(4))
    follow(fan, me)
    follow(friend, me)
    follow(me, friend)
    follow(me, idol)

    following = listing(me, "following")
    assert following["list_type"] == "following"
    assert following["count"] == 2
    assert following["next_cursor"] is None
    assert [entry["username"] for entry in following["users"]] == [idol.username, friend.username]
    for entry in following["users"]:
        assert set(entry) == ENTRY_FIELDS
    entry = entries_by_name(following)[friend.username]
    assert entry["id"] == friend.pk
    assert (entry["followers_count"], entry["following_count"]) == (1, 1)
    assert entry["allow_networking"] is True
    assert entry["date_joined"] == friend.date_joined.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (entry["you_follow"], entry["follows_you"]) == (True, True)
    assert (entries_by_name(following)[idol.username]["follows_you"]) is False

    followers = listing(me, "followers")
    assert followers["list_type"] == "followers"
    assert followers["count"] == 2
    assert {name: (e["you_follow"], e["follows_you"]) for name, e in entries_by_name(followers).items()} == {
        fan.username: (False, True),
        friend.username: (True, True),
    }


@pytest.mark.parametrize("kind", ["friends", "Following", "follower", "all"])
def test_other_list_types_are_400(make_user, kind):
    response = client_for(make_user(password=None)).get(url("list", kind))
    assert response.status_code == 400
    assert "error" in response.json()


def test_lists_need_a_token(api):
    assert api.get(url("list", "following")).status_code == 401


def test_regret_index_is_the_latest_checklists_score(make_user, follow, checklist):
    me, them = make_user(password=None), make_user(password=None)
    follow(me, them)
    checklist(them, datetime(2025, 6, 17, 9, 0, tzinfo=PLUS_8), total=2, resolved=1)  # 0.5
    checklist(them, datetime(2025, 6, 19, 1, 0, tzinfo=PLUS_8), total=4, resolved=1)  # 0.75, latest
    checklist(them, datetime(2025, 6, 18, 23, 0, tzinfo=PLUS_8), total=3, resolved=3)  # 0, earlier
    entry = listing(me, "following")["users"][0]
    assert entry["regret_index"] == 0.75
    assert entry["checklist_created_at"] == "2025-06-18T17:00:00Z"


def test_a_fresh_checklist_scores_one(make_user, follow, checklist):
    me, them = make_user(password=None), make_user(password=None)
    follow(me, them)
    checklist(them, datetime(2025, 6, 19, 8, 30, 15, 123456, tzinfo=UTC))
    entry = listing(me, "following")["users"][0]
    assert entry["regret_index"] == 1.0
    assert entry["checklist_created_at"] == "2025-06-19T08:30:15Z"


def test_no_checklist_is_minus_one(make_user, follow):
    me, them = make_user(password=None), make_user(password=None)
    follow(them, me)
    entry = listing(me, "followers")["users"][0]
    assert entry["regret_index"] == -1
    assert entry["checklist_created_at"] is None


def test_legacy_two_checklists_a_day_pick_deterministically(make_user, follow):
    me, them = make_user(password=None), make_user(password=None)
    follow(me, them)
    same = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    # What the legacy release left behind: two for one day, even at the same instant.
    Checklist.objects.create(user=them, created_at=same - timedelta(hours=2), score=Decimal("0.1"))
    Checklist.objects.create(user=them, created_at=same, score=Decimal("0.2"))
    Checklist.objects.create(user=them, created_at=same, score=Decimal("0.4"))  # latest id wins the tie
    for _ in range(3):
        entry = listing(me, "following")["users"][0]
        assert entry["regret_index"] == 0.4
        assert entry["checklist_created_at"] == "2024-03-01T10:00:00Z"


@pytest.mark.parametrize("with_checklists", [False, True])
def test_networking_off_hides_the_index_in_every_list(make_user, follow, checklist, with_checklists):
    me, them = make_user(password=None), make_user(password=None)
    follow(me, them)
    follow(them, me)
    if with_checklists:
        checklist(them, datetime(2025, 6, 19, 1, 0, tzinfo=PLUS_8), total=2, resolved=1)
    services.networking_set(user=them, allow=False)
    for kind in ("following", "followers"):
        entry = listing(me, kind)["users"][0]
        assert entry["username"] == them.username
        assert entry["allow_networking"] is False
        assert entry["regret_index"] is None
        assert entry["checklist_created_at"] is None
    services.networking_set(user=them, allow=True)
    entry = listing(me, "following")["users"][0]
    assert entry["regret_index"] == (0.5 if with_checklists else -1)


def test_inactive_users_disappear_from_lists(make_user, follow):
    me, gone, stays = (make_user(password=None) for _ in range(3))
    for other in (gone, stays):
        follow(me, other)
        follow(other, me)
    account_services.user_deactivate(user=gone)
    for kind in ("following", "followers"):
        body = listing(me, kind)
        assert body["count"] == 1
        assert [entry["username"] for entry in body["users"]] == [stays.username]


def _bulk_network(me, size, kind="following"):
    """`size` users on `me`'s `kind` list, every second one linked the other way too,
    every third with checklists, every seventh private: fast, in bulk.

    bulk_create skips Python entirely; the database triggers still count every row.
    """
    users = User.objects.bulk_create(
        User(username=f"bulk_{size}_{i}", password="!", allow_networking=i % 7 != 0) for i in range(size)
    )
    base = datetime(2025, 1, 1, tzinfo=UTC)
    Checklist.objects.bulk_create(
        Checklist(user=user, created_at=base + timedelta(days=day), score=Decimal(day) / 10)
        for i, user in enumerate(users)
        if i % 3 == 0
        for day in range(3)
    )
    outward = [Network(follower=me, following=user) for user in users]
    inward = [Network(follower=user, following=me) for user in users]
    if kind == "following":
        Network.objects.bulk_create(outward + inward[::2])
    else:
        Network.objects.bulk_create(inward + outward[::2])
    return users


def _list_queries(me, kind, **params):
    client = client_for(me)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("list", kind), params)
    assert response.status_code == 200
    return len(queries), response.json()


@pytest.mark.parametrize("kind", ["following", "followers"])
def test_lists_take_a_fixed_number_of_queries(make_user, kind):
    small, large = make_user(password=None), make_user(password=None)
    _bulk_network(small, 10, kind)
    users = _bulk_network(large, 1000, kind)
    assert counts(large) == ((500, 1000) if kind == "following" else (1000, 500))

    small_queries, small_body = _list_queries(small, kind, page_size=1000)
    large_queries, large_body = _list_queries(large, kind, page_size=1000)
    assert len(small_body["users"]) == small_body["count"] == 10
    assert len(large_body["users"]) == large_body["count"] == 1000
    assert small_queries == large_queries
    # the user behind the token, the count, the page; the page's recent days, the viewer's nudges
    assert large_queries <= 5
    print(f"\n{kind} list: {small_queries} queries for 10 entries, {large_queries} for 1,000")

    by_name = entries_by_name(large_body)
    for index, user in enumerate(users):
        entry = by_name[user.username]
        if index % 7 == 0:
            assert (entry["regret_index"], entry["checklist_created_at"]) == (None, None)
        elif index % 3 == 0:
            assert (entry["regret_index"], entry["checklist_created_at"]) == (0.2, "2025-01-03T00:00:00Z")
        else:
            assert (entry["regret_index"], entry["checklist_created_at"]) == (-1, None)
        both_ways = index % 2 == 0
        assert entry["you_follow"] is (kind == "following" or both_ways)
        assert entry["follows_you"] is (kind == "followers" or both_ways)


def test_large_lists_page_with_a_cursor_at_the_default_size(make_user):
    me = make_user(password=None)
    users = _bulk_network(me, 1000)
    seen, pages, cursor = [], 0, None
    while True:
        body = listing(me, "following", **({"cursor": cursor} if cursor else {}))
        pages += 1
        assert body["count"] == 1000
        assert len(body["users"]) <= network_api.PAGE_SIZE
        seen += [entry["id"] for entry in body["users"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert len(body["users"]) == network_api.PAGE_SIZE
    assert pages == -(-1000 // network_api.PAGE_SIZE)
    assert len(seen) == len(set(seen)) == 1000
    assert set(seen) == {user.pk for user in users}
    assert seen == [user.pk for user in reversed(users)]  # newest follow first


def test_a_small_page_size_walks_every_entry_once(make_user, follow):
    me = make_user(password=None)
    others = [make_user(password=None) for _ in range(20)]
    for other in others:
        follow(other, me)
    seen, sizes, cursor = [], [], None
    while True:
        params = {"page_size": 7, **({"cursor": cursor} if cursor else {})}
        body = listing(me, "followers", **params)
        assert body["count"] == 20
        sizes.append(len(body["users"]))
        seen += [entry["username"] for entry in body["users"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sizes == [7, 7, 6]
    assert seen == [other.username for other in reversed(others)]


def test_a_page_exactly_full_has_no_next_cursor(make_user, follow):
    me = make_user(password=None)
    for _ in range(3):
        follow(me, make_user(password=None))
    body = listing(me, "following", page_size=3)
    assert len(body["users"]) == 3
    assert body["next_cursor"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "abc"},
        {"cursor": "0"},
        {"cursor": "-5"},
        {"cursor": "1.5"},
        {"cursor": "9" * 40},
        {"page_size": "0"},
        {"page_size": "ten"},
        {"page_size": "-1"},
        {"page_size": ""},
    ],
)
def test_bad_paging_parameters_are_400(make_user, params):
    response = client_for(make_user(password=None)).get(url("list", "following"), params)
    assert response.status_code == 400
    assert "error" in response.json()
