"""Regrets: regret_add, regret_resolve and regret_list, on one's own checklists only."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rr.checklists import services
from rr.checklists.models import Checklist, Regret

pytestmark = pytest.mark.django_db

REGRET_FIELDS = {"id", "description", "created_at", "success", "checklist"}


def _checklist(user, day=19):
    checklist, _ = services.checklist_for_day(user=user, local_datetime=datetime(2025, 6, day, 12, tzinfo=UTC))
    return checklist


def _regret(user, checklist, description="go for a run"):
    return services.regret_add(user=user, checklist_id=checklist.pk, description=description)[0]


def regrets_url(checklist_id):
    return f"/api/checklists/{checklist_id}/regrets/"


def regret_url(checklist_id, regret_id):
    return f"/api/checklists/{checklist_id}/regrets/{regret_id}/"


def test_adding_a_regret_answers_201_with_it(client, user):
    checklist = _checklist(user)

    response = client.post(regrets_url(checklist.pk), {"description": "call mum"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == REGRET_FIELDS
    assert body["description"] == "call mum" and body["success"] is False
    assert body["checklist"] == checklist.pk
    assert Regret.objects.get().checklist_id == checklist.pk


def test_listing_regrets_in_the_order_they_were_added(client, user):
    checklist = _checklist(user)
    for description in ("b", "a", "c"):
        _regret(user, checklist, description)

    response = client.get(regrets_url(checklist.pk))

    assert response.status_code == 200
    assert [r["description"] for r in response.json()] == ["b", "a", "c"]


@pytest.mark.parametrize("description", ["x", "d" * 255, "  padded  ", "emoji 🙂 and ünïcode"])
def test_descriptions_of_1_to_255_characters_are_kept(client, user, description):
    checklist = _checklist(user)

    response = client.post(regrets_url(checklist.pk), {"description": description}, format="json")

    assert response.status_code == 201
    assert Regret.objects.get().description == response.json()["description"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"description": ""},
        {"description": "   "},
        {"description": "d" * 256},
        {"description": 42},
        {"description": None},
        {"description": ["a"]},
        {"description": "nul\x00byte"},
    ],
)
def test_bad_descriptions_are_400_and_write_nothing(client, user, body):
    checklist = _checklist(user)

    response = client.post(regrets_url(checklist.pk), body, format="json")

    assert response.status_code == 400
    assert response.json()["error"].startswith("description")
    assert not Regret.objects.exists()


def test_resolving_a_regret(client, user):
    checklist = _checklist(user)
    regret = _regret(user, checklist)

    response = client.patch(regret_url(checklist.pk, regret.pk), {"success": True}, format="json")

    assert response.status_code == 200
    assert response.json()["success"] is True and response.json()["id"] == regret.pk
    regret.refresh_from_db()
    assert regret.success is True


def test_put_resolves_like_patch(client, user):
    checklist = _checklist(user)
    regret = _regret(user, checklist)

    response = client.put(regret_url(checklist.pk, regret.pk), {"success": True}, format="json")

    assert response.status_code == 200
    assert Regret.objects.get(pk=regret.pk).success is True


# {"success": false} was refused here until the un-tick became an undo (docs/API.md's changelog;
# tests/checklists/test_regret_edit.py).
@pytest.mark.parametrize("body", [{"success": "yes"}, {"success": "true"}, {"success": 1}, {"success": None}, {}])
def test_only_a_json_boolean_is_accepted(client, user, body):
    checklist = _checklist(user)
    regret = _regret(user, checklist)

    response = client.patch(regret_url(checklist.pk, regret.pk), body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]
    assert Regret.objects.get(pk=regret.pk).success is False


def test_a_repeated_tick_answers_200_with_the_score_and_an_untick_undoes_it(client, user):
    # A phone on a bad connection resends the tick it got no answer for.
    checklist = _checklist(user)
    regret, _other = _regret(user, checklist), _regret(user, checklist)
    first = client.patch(regret_url(checklist.pk, regret.pk), {"success": True}, format="json")

    again = client.put(regret_url(checklist.pk, regret.pk), {"success": True}, format="json")
    undo = client.patch(regret_url(checklist.pk, regret.pk), {"success": False}, format="json")

    assert first.status_code == 200 and first.json()["score"] == 0.5
    assert again.status_code == 200 and again.json() == first.json()
    assert undo.status_code == 200 and undo.json()["success"] is False and undo.json()["score"] == 1
    assert Regret.objects.get(pk=regret.pk).success is False
    checklist.refresh_from_db()
    assert checklist.score == Decimal("1")


def test_a_tick_answers_with_the_checklists_new_score(client, user):
    checklist = _checklist(user)
    regrets = [_regret(user, checklist) for _ in range(3)]

    scores = [
        client.patch(regret_url(checklist.pk, regret.pk), {"success": True}, format="json").json()["score"]
        for regret in regrets
    ]

    assert scores == [0.6667, 0.3333, 0.0]


def test_another_users_checklist_and_regrets_are_404(client, make_user):
    other = make_user()
    theirs = _checklist(other)
    their_regret = _regret(other, theirs)

    assert client.get(regrets_url(theirs.pk)).status_code == 404
    assert client.post(regrets_url(theirs.pk), {"description": "sneaky"}, format="json").status_code == 404
    patch = client.patch(regret_url(theirs.pk, their_regret.pk), {"success": True}, format="json")
    assert patch.status_code == 404
    assert patch.json()["error"] == "Checklist not found."
    assert Regret.objects.count() == 1 and not Regret.objects.get().success


def test_a_regret_is_only_found_under_its_own_checklist(client, user):
    monday, tuesday = _checklist(user, 16), _checklist(user, 17)
    regret = _regret(user, monday)

    response = client.patch(regret_url(tuesday.pk, regret.pk), {"success": True}, format="json")

    assert response.status_code == 404
    assert response.json()["error"] == "Regret not found."
    assert not Regret.objects.get().success


@pytest.mark.parametrize("bad_id", ["0", "999999999", "999999999999999999", "99999999999999999999", "-1", "abc"])
def test_unknown_and_out_of_range_ids_are_404(client, user, bad_id):
    checklist = _checklist(user)
    regret = _regret(user, checklist)

    for method, url in [
        ("get", regrets_url(bad_id)),
        ("post", regrets_url(bad_id)),
        ("patch", regret_url(bad_id, regret.pk)),
        ("patch", regret_url(checklist.pk, bad_id)),
    ]:
        body = {"success": True} if method == "patch" else {"description": "x"}
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, url
        assert response.json()["error"]
    assert Regret.objects.count() == 1 and not Regret.objects.get().success


def test_a_completed_checklist_is_frozen(client, user):
    checklist = _checklist(user)
    regret = _regret(user, checklist)
    Checklist.objects.filter(pk=checklist.pk).update(completed=True)  # legacy data only

    added = client.post(regrets_url(checklist.pk), {"description": "late"}, format="json")
    resolved = client.patch(regret_url(checklist.pk, regret.pk), {"success": True}, format="json")

    assert added.status_code == 409 and resolved.status_code == 409
    assert "completed" in added.json()["error"]
    assert Regret.objects.count() == 1 and not Regret.objects.get().success
    assert Checklist.objects.get().score == 1
    # Still readable.
    assert client.get(regrets_url(checklist.pk)).status_code == 200
