"""regret_resolve under concurrency: every tick counts in the score."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.checklists import services
from rr.checklists.models import Checklist, Regret
from tests.support.threads import api_calls_at_once

THREADS = 8


def _tick(access, checklist, regret):
    return (access, "patch", f"/api/checklists/{checklist.pk}/regrets/{regret.pk}/", {"success": True})


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_of_every_regret_leave_the_score_at_zero():
    user = User.objects.create_user("ticker")
    checklist, _ = services.checklist_for_day(user=user, local_datetime=datetime(2025, 6, 19, 12, tzinfo=UTC))
    regrets = [
        services.regret_add(user=user, checklist_id=checklist.pk, description=f"regret {i}")[0] for i in range(THREADS)
    ]
    access = account_services.tokens_for(user)["access"]

    responses = api_calls_at_once([_tick(access, checklist, regret) for regret in regrets])

    assert [response.status_code for response in responses] == [200] * THREADS
    assert Checklist.objects.get(pk=checklist.pk).score == Decimal("0")
    assert set(Regret.objects.filter(checklist=checklist).values_list("success", flat=True)) == {True}


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_and_ticks_keep_the_score_equal_to_the_regrets():
    user = User.objects.create_user("mixer")
    checklist, _ = services.checklist_for_day(user=user, local_datetime=datetime(2025, 6, 19, 12, tzinfo=UTC))
    regrets = [
        services.regret_add(user=user, checklist_id=checklist.pk, description=f"regret {i}")[0]
        for i in range(THREADS // 2)
    ]
    access = account_services.tokens_for(user)["access"]
    add = (access, "post", f"/api/checklists/{checklist.pk}/regrets/", {"description": "late"})

    ticks = [_tick(access, checklist, regret) for regret in regrets]
    responses = api_calls_at_once(ticks + [add] * (THREADS // 2))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * (THREADS // 2) + [201] * (THREADS // 2)
    # Half the regrets resolved: the stored score must say exactly that.
    assert Regret.objects.filter(checklist=checklist).count() == THREADS
    assert Checklist.objects.get(pk=checklist.pk).score == Decimal("0.5")


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_undos_edits_and_deletes_leave_the_score_equal_to_the_share_unresolved():
    user = User.objects.create_user("fixer")
    checklist, _ = services.checklist_for_day(user=user, local_datetime=datetime(2025, 6, 19, 12, tzinfo=UTC))
    regrets = [
        services.regret_add(user=user, checklist_id=checklist.pk, description=f"regret {i}")[0]
        for i in range(THREADS * 2)
    ]
    for regret in regrets[THREADS:]:
        services.regret_resolve(user=user, checklist_id=checklist.pk, regret_id=regret.pk, success=True)
    access = account_services.tokens_for(user)["access"]
    url = f"/api/checklists/{checklist.pk}/regrets/"
    # Two of each, on different regrets: ticks and edits of open ones, undos and deletes of ticked ones.
    calls = (
        [_tick(access, checklist, regret) for regret in regrets[0:2]]
        + [(access, "patch", f"{url}{regret.pk}/", {"description": "reworded"}) for regret in regrets[2:4]]
        + [(access, "patch", f"{url}{regret.pk}/", {"success": False}) for regret in regrets[THREADS : THREADS + 2]]
        + [(access, "delete", f"{url}{regret.pk}/", None) for regret in regrets[THREADS + 2 : THREADS + 4]]
        + [(access, "delete", f"{url}{regret.pk}/", None) for regret in regrets[4:6]]
    )

    responses = api_calls_at_once(calls)

    assert sorted(response.status_code for response in responses) == [200] * 6 + [204] * 4
    left = list(Regret.objects.filter(checklist=checklist).values_list("success", flat=True))
    assert len(left) == THREADS * 2 - 4
    expected = (Decimal(left.count(False)) / Decimal(len(left))).quantize(Decimal("0.0001"))
    assert Checklist.objects.get(pk=checklist.pk).score == expected
