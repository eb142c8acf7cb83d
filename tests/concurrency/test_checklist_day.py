"""checklist_for_day under concurrency: one checklist per user and local day, whatever the race."""

import pytest

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.checklists import services
from rr.checklists.models import Checklist, Regret
from tests.support.threads import api_calls_at_once

THREADS = 8


def _for_day(access, local_datetime):
    return (access, "post", "/api/checklists/", {"local_datetime": local_datetime})


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_one_local_day_create_exactly_one_checklist():
    user = User.objects.create_user("racer")
    other = User.objects.create_user("bystander")
    access = account_services.tokens_for(user)["access"]
    other_access = account_services.tokens_for(other)["access"]
    # Different instants and offsets, all on the local date 2025-06-19 (+02:00 and +08:00 agree here).
    moments = [f"2025-06-19T{8 + i:02d}:15:00+0{2 if i % 2 else 8}:00" for i in range(THREADS)]
    # Another user's request for the same day races too, and must get its own checklist.
    calls = [_for_day(access, moment) for moment in moments] + [_for_day(other_access, moments[0])]
    *responses, _ = api_calls_at_once(calls)
    results = [(response.status_code, response.json()["id"]) for response in responses]

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (THREADS - 1) + [201]
    assert len({checklist_id for _, checklist_id in results}) == 1
    assert Checklist.objects.filter(user=user).count() == 1
    assert Checklist.objects.filter(user=other).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_one_local_date_at_far_apart_offsets_create_exactly_one():
    user = User.objects.create_user("traveller")
    access = account_services.tokens_for(user)["access"]
    # All on the local date 2025-06-19, at offsets whose days span 2025-06-18T10:00Z to
    # 2025-06-20T12:00Z: no UTC range of one offset's day covers all of them.
    moments = [
        "2025-06-19T00:10:00+14:00",
        "2025-06-19T23:50:00-12:00",
        "2025-06-19T12:00:00+05:30",
        "2025-06-19T06:00:00-09:30",
        "2025-06-19T20:00:00+09:00",
        "2025-06-19T01:00:00-03:00",
    ]
    responses = api_calls_at_once([_for_day(access, moment) for moment in moments])
    results = [(response.status_code, response.json()["id"]) for response in responses]

    assert sorted(status for status, _ in results) == [200] * (len(moments) - 1) + [201]
    assert len({checklist_id for _, checklist_id in results}) == 1
    assert Checklist.objects.filter(user=user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_opens_of_a_day_copy_the_routine_exactly_once():
    user = User.objects.create_user("routine_racer")
    for description in ("Stretch", "Read", "Call grandma"):
        services.routine_add(user=user, description=description)
    access = account_services.tokens_for(user)["access"]

    responses = api_calls_at_once([_for_day(access, "2025-06-19T08:15:00+02:00")] * THREADS)

    assert sorted(response.status_code for response in responses) == [200] * (THREADS - 1) + [201]
    checklist = Checklist.objects.get(user=user)
    descriptions = list(Regret.objects.filter(checklist=checklist).order_by("id").values_list("description", flat=True))
    assert descriptions == ["Stretch", "Read", "Call grandma"]
    assert all([r["description"] for r in response.json()["regrets"]] == descriptions for response in responses)
