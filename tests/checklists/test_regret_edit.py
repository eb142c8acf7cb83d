"""Fixing mistakes while the day is open: regret_update (undo, reword) and regret_delete, and their API."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rr.checklists import services
from rr.checklists.models import Checklist, Regret

pytestmark = pytest.mark.django_db


def _day(user, *descriptions, at=None):
    checklist, _ = services.checklist_for_day(user=user, local_datetime=at or timezone.now())
    regrets = [services.regret_add(user=user, checklist_id=checklist.pk, description=d, at=at)[0] for d in descriptions]
    return checklist, regrets


def _url(regret):
    return f"/api/checklists/{regret.checklist_id}/regrets/{regret.pk}/"


def test_undo_a_tick_answers_the_new_score(client, user):
    checklist, (a, b) = _day(user, "a", "b")
    services.regret_resolve(user=user, checklist_id=checklist.pk, regret_id=a.pk, success=True)

    response = client.patch(_url(a), {"success": False}, format="json")

    assert response.status_code == 200
    assert response.json()["success"] is False and response.json()["score"] == 1
    assert Checklist.objects.get(pk=checklist.pk).score == Decimal("1")
    # Safe to repeat, like a tick.
    assert client.patch(_url(a), {"success": False}, format="json").json()["score"] == 1


def test_reword_keeps_the_tick_and_the_score(client, user):
    checklist, (a, b) = _day(user, "a", "b")
    services.regret_resolve(user=user, checklist_id=checklist.pk, regret_id=a.pk, success=True)

    response = client.patch(_url(a), {"description": "  a, reworded "}, format="json")

    assert response.status_code == 200
    assert response.json()["description"] == "a, reworded" and response.json()["success"] is True
    assert response.json()["score"] == 0.5
    assert Regret.objects.get(pk=a.pk).description == "a, reworded"


def test_delete_answers_204_and_the_new_score_in_a_header(client, user):
    checklist, (a, b) = _day(user, "a", "b")
    services.regret_resolve(user=user, checklist_id=checklist.pk, regret_id=a.pk, success=True)

    response = client.delete(_url(b))

    assert response.status_code == 204 and response.content == b""
    assert response.headers["Checklist-Score"] == "0.0"
    assert Checklist.objects.get(pk=checklist.pk).score == Decimal("0")
    assert client.delete(_url(b)).json()["code"] == "regret_not_found"
    # The last one gone: a day without regrets has the score 1.
    client.delete(_url(a))
    assert Checklist.objects.get(pk=checklist.pk).score == Decimal("1")


@pytest.mark.parametrize(
    "call",
    [
        lambda c, r: c.patch(_url(r), {"success": False}, format="json"),
        lambda c, r: c.patch(_url(r), {"success": True}, format="json"),
        lambda c, r: c.patch(_url(r), {"description": "new"}, format="json"),
        lambda c, r: c.delete(_url(r)),
    ],
    ids=["undo", "tick", "reword", "delete"],
)
def test_after_the_day_closes_every_change_is_409_day_closed(client, user, call, settings):
    settings.DAY_CLOSE_GRACE_HOURS = 6  # testing_env keeps past days open; here they close as in production
    long_ago = timezone.now() - timedelta(days=3)
    checklist, (a,) = _day(user, "a", at=long_ago)
    services.regret_resolve(user=user, checklist_id=checklist.pk, regret_id=a.pk, success=True, at=long_ago)

    response = call(client, a)

    assert response.status_code == 409 and response.json()["code"] == "day_closed"
    regret = Regret.objects.get(pk=a.pk)
    assert (regret.description, regret.success) == ("a", True)
    assert Checklist.objects.get(pk=checklist.pk).completed


def test_another_users_regret_is_404(client, user, make_user):
    other = make_user()
    _, (theirs,) = _day(other, "theirs")

    assert client.patch(_url(theirs), {"success": False}, format="json").status_code == 404
    assert client.delete(_url(theirs)).status_code == 404
    assert Regret.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"success": "false"}, {"success": None}, {"description": ""}, {"description": "d" * 256}, {"description": 1}],
)
def test_bad_changes_are_400_and_change_nothing(client, user, body):
    _, (a,) = _day(user, "a")

    response = client.patch(_url(a), body, format="json")

    assert response.status_code == 400 and response.json()["code"]
    assert Regret.objects.filter(pk=a.pk, description="a", success=False).exists()


def test_the_service_refuses_a_non_boolean_success(user):
    checklist, (a,) = _day(user, "a")

    with pytest.raises(services.ServiceError):
        services.regret_update(user=user, checklist_id=checklist.pk, regret_id=a.pk, success="yes")


def test_legacy_untick_api_contract_changed_deliberately(client, user):
    """success: false was a 400 before this change; it is an undo now (docs/API.md, changelog)."""
    _, (a,) = _day(user, "a")

    assert client.patch(_url(a), {"success": False}, format="json").status_code == 200


def test_edits_on_a_day_at_a_fixed_time(user):
    at = datetime(2025, 6, 19, 12, tzinfo=UTC)
    checklist, (a,) = _day(user, "a", at=at)

    _, updated = services.regret_update(
        user=user, checklist_id=checklist.pk, regret_id=a.pk, success=True, description="b", at=at
    )

    assert updated.score == Decimal("0")
    assert services.regret_delete(user=user, checklist_id=checklist.pk, regret_id=a.pk, at=at).score == Decimal("1")
