"""`manage.py seed_demo` (DEMO=1 make run): demo users, checklists, regrets and follows, idempotent."""

import io

import pytest
from django.core.management import CommandError, call_command

from rr.accounts.models import User
from rr.checklists.models import Checklist, Regret, RoutineItem
from rr.network.models import Network
from rr.ops import demo
from tests.support.counts import counts_drift


def seed():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def totals():
    return [m.objects.count() for m in (User, Checklist, Regret, Network)]


def test_seed_creates_demo_data_that_logs_in_and_is_consistent(db, settings, api):
    settings.DEBUG = True
    output = seed()

    assert f"password {demo.DEMO_PASSWORD!r}" in output
    assert set(User.objects.values_list("username", flat=True)) == set(demo.DEMO_USERS)
    assert Network.objects.count() == len(demo.DEMO_FOLLOWS)
    assert counts_drift() == []
    alice = User.objects.get(username="alice")
    assert (alice.followers_count, alice.following_count) == (2, 2)
    assert not User.objects.get(username="dave").allow_networking
    today = Checklist.objects.filter(user=alice).order_by("-created_at").first()
    assert today.regrets.count() == 3 and str(today.score) == "0.3333"
    # Every day starts with the routine: nobody retypes "Call grandma".
    routine = list(RoutineItem.objects.filter(user=alice).order_by("position").values_list("description", flat=True))
    assert routine == demo.DEMO_USERS["alice"][0]
    for checklist in Checklist.objects.filter(user=alice):
        assert list(checklist.regrets.order_by("id").values_list("description", flat=True)) == routine
    response = api.post("/auth/user/", {"username": "alice", "password": demo.DEMO_PASSWORD}, format="json")
    assert response.status_code == 200


def test_seeding_again_creates_nothing(db, settings):
    settings.DEBUG = True
    seed()
    before = totals()
    assert "(0 users, 0 checklists, 0 regrets, 0 follows created)" in seed()
    assert totals() == before


def test_refuses_with_debug_off_unless_forced(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        seed()
    assert User.objects.count() == 0
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert User.objects.count() == len(demo.DEMO_USERS)
