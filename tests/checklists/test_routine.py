"""The routine: routine_add/update/delete/replace, its API, and its copy into a new day's checklist."""

from datetime import UTC, datetime, timedelta

import pytest

from rr.checklists import selectors, services
from rr.checklists.models import Checklist, Regret, RoutineItem

pytestmark = pytest.mark.django_db

DAY = datetime(2025, 6, 19, 12, tzinfo=UTC)


def _routine(user):
    return list(selectors.routine_list(user=user).values_list("description", "position"))


def _add(user, *descriptions):
    return [services.routine_add(user=user, description=description) for description in descriptions]


def _open_day(client, at=DAY):
    return client.post("/api/checklists/", {"local_datetime": at.isoformat()}, format="json")


def test_a_new_day_starts_with_the_routine_unticked_in_routine_order(client, user):
    _add(user, "Stretch", "Call grandma", "Read")
    services.routine_update(user=user, item_id=RoutineItem.objects.get(description="Read").pk, position=1)

    response = _open_day(client)

    assert response.status_code == 201
    body = response.json()
    assert [(r["description"], r["success"]) for r in body["regrets"]] == [
        ("Read", False),
        ("Stretch", False),
        ("Call grandma", False),
    ]
    assert body["score"] == 1
    stored = list(Regret.objects.filter(checklist_id=body["id"]).order_by("id").values_list("id", "description"))
    assert [(r["id"], r["description"]) for r in body["regrets"]] == stored


def test_with_an_empty_routine_a_day_starts_empty_as_before(client, user):
    response = _open_day(client)

    assert response.status_code == 201
    assert response.json()["regrets"] == [] and response.json()["score"] == 1
    assert not Regret.objects.exists()


def test_an_existing_checklist_is_never_changed_by_the_routine(client, user):
    first = _open_day(client).json()
    _add(user, "Stretch")

    again = _open_day(client, DAY + timedelta(hours=2))

    assert again.status_code == 200
    assert again.json()["id"] == first["id"] and again.json()["regrets"] == []
    # The next day gets it.
    assert [r["description"] for r in _open_day(client, DAY + timedelta(days=1)).json()["regrets"]] == ["Stretch"]


def test_a_routine_regret_is_a_regret_like_any(client, user):
    _add(user, "Stretch", "Read")
    day = _open_day(client).json()

    tick = client.patch(
        f"/api/checklists/{day['id']}/regrets/{day['regrets'][0]['id']}/", {"success": True}, format="json"
    )

    assert tick.status_code == 200 and tick.json()["score"] == 0.5


def test_the_routine_api_add_list_rename_move_remove(client, user):
    added = [client.post("/api/routine/", {"description": d}, format="json") for d in ("a", "b", "c")]
    assert [r.status_code for r in added] == [201] * 3
    assert [r.json()["position"] for r in added] == [1, 2, 3]
    assert set(added[0].json()) == {"id", "description", "position"}
    a, b, c = (r.json()["id"] for r in added)

    moved = client.patch(f"/api/routine/{c}/", {"position": 1}, format="json")
    assert moved.status_code == 200 and moved.json()["position"] == 1
    assert _routine(user) == [("c", 1), ("a", 2), ("b", 3)]

    client.patch(f"/api/routine/{c}/", {"position": 3, "description": "c2"}, format="json")
    assert _routine(user) == [("a", 1), ("b", 2), ("c2", 3)]

    assert client.delete(f"/api/routine/{a}/").status_code == 204
    assert _routine(user) == [("b", 1), ("c2", 2)]
    listed = client.get("/api/routine/").json()
    assert [(item["id"], item["description"], item["position"]) for item in listed] == [(b, "b", 1), (c, "c2", 2)]


def test_from_regret_repeats_one_of_my_regrets(client, user):
    checklist, _ = services.checklist_for_day(user=user, local_datetime=DAY)
    regret, _ = services.regret_add(user=user, checklist_id=checklist.pk, description="Go for a run")

    response = client.post("/api/routine/", {"from_regret": regret.pk}, format="json")

    assert response.status_code == 201 and response.json()["description"] == "Go for a run"
    again = client.post("/api/routine/", {"from_regret": regret.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_in_routine"


def test_use_yesterdays_list_as_my_routine_replaces_it(client, user):
    yesterday, _ = services.checklist_for_day(user=user, local_datetime=DAY - timedelta(days=1))
    _add(user, "old")
    for description in ("Run", "Read", "Run"):
        services.regret_add(user=user, checklist_id=yesterday.pk, description=description, at=DAY - timedelta(days=1))

    response = client.put("/api/routine/", {"from_checklist": yesterday.pk}, format="json")

    assert response.status_code == 200
    assert [(i["description"], i["position"]) for i in response.json()] == [("Run", 1), ("Read", 2)]
    assert _routine(user) == [("Run", 1), ("Read", 2)]


def test_another_users_items_regrets_and_checklists_are_404(client, user, make_user):
    other = make_user()
    (item,) = _add(other, "theirs")
    checklist, _ = services.checklist_for_day(user=other, local_datetime=DAY)
    regret, _ = services.regret_add(user=other, checklist_id=checklist.pk, description="theirs")

    assert client.patch(f"/api/routine/{item.pk}/", {"position": 1}, format="json").json()["code"] == (
        "routine_item_not_found"
    )
    assert client.delete(f"/api/routine/{item.pk}/").status_code == 404
    assert client.post("/api/routine/", {"from_regret": regret.pk}, format="json").status_code == 404
    assert client.put("/api/routine/", {"from_checklist": checklist.pk}, format="json").status_code == 404
    assert _routine(other) == [("theirs", 1)] and _routine(user) == []


def test_at_most_50_items(client, user):
    _add(user, *(f"item {i}" for i in range(services.ROUTINE_LIMIT)))

    response = client.post("/api/routine/", {"description": "one more"}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "routine_full"
    assert RoutineItem.objects.filter(user=user).count() == 50


def test_a_duplicate_description_is_409(client, user):
    _add(user, "a", "b")
    b = RoutineItem.objects.get(description="b")

    assert client.post("/api/routine/", {"description": "a"}, format="json").json()["code"] == "already_in_routine"
    assert client.patch(f"/api/routine/{b.pk}/", {"description": "a"}, format="json").status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"description": ""},
        {"description": "   "},
        {"description": "d" * 256},
        {"description": 42},
        {"from_regret": "x"},
        {"from_regret": 0},
        {"description": "a", "from_regret": 1},
        [],
    ],
)
def test_bad_additions_are_400_and_write_nothing(client, user, body):
    response = client.post("/api/routine/", body, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] and not RoutineItem.objects.exists()


@pytest.mark.parametrize("body", [{}, {"position": 0}, {"position": 3}, {"position": "x"}, {"description": ""}])
def test_bad_updates_are_400(client, user, body):
    a, _ = _add(user, "a", "b")

    response = client.patch(f"/api/routine/{a.pk}/", body, format="json")

    assert response.status_code == 400, response.json()
    assert _routine(user) == [("a", 1), ("b", 2)]


def test_deleting_the_user_deletes_the_routine(user):
    _add(user, "a")
    checklist, _ = services.checklist_for_day(user=user, local_datetime=DAY)

    user.delete()

    assert not RoutineItem.objects.exists() and not Checklist.objects.filter(pk=checklist.pk).exists()
