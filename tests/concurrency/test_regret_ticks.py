"""regret_resolve under concurrency: every tick counts in the score."""

import threading
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.checklists import services
from rr.checklists.models import Checklist, Regret

THREADS = 8


def _tick_in_thread(access, url, barrier, results):
    try:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        barrier.wait()
        results.append(client.patch(url, {"success": True}, format="json").status_code)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_of_every_regret_leave_the_score_at_zero():
    user = User.objects.create_user("ticker")
    checklist, _ = services.checklist_for_day(
        user=user, local_datetime=datetime(2025, 6, 19, 12, tzinfo=timezone.utc)
    )
    regrets = [
        services.regret_add(user=user, checklist_id=checklist.pk, description=f"regret {i}")[0]
        for i in range(THREADS)
    ]
    access = account_services.tokens_for(user)["access"]
    barrier = threading.Barrier(THREADS)
    results = []
    threads = [
        threading.Thread(
            target=_tick_in_thread,
            args=(access, f"/api/checklists/{checklist.pk}/regrets/{regret.pk}/", barrier, results),
        )
        for regret in regrets
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [200] * THREADS
    assert Checklist.objects.get(pk=checklist.pk).score == Decimal("0")
    assert set(Regret.objects.filter(checklist=checklist).values_list("success", flat=True)) == {True}


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_and_ticks_keep_the_score_equal_to_the_regrets():
    user = User.objects.create_user("mixer")
    checklist, _ = services.checklist_for_day(
        user=user, local_datetime=datetime(2025, 6, 19, 12, tzinfo=timezone.utc)
    )
    regrets = [
        services.regret_add(user=user, checklist_id=checklist.pk, description=f"regret {i}")[0]
        for i in range(THREADS // 2)
    ]
    access = account_services.tokens_for(user)["access"]
    barrier = threading.Barrier(THREADS)
    results = []

    def add():
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
            barrier.wait()
            url = f"/api/checklists/{checklist.pk}/regrets/"
            results.append(client.post(url, {"description": "late"}, format="json").status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=_tick_in_thread,
            args=(access, f"/api/checklists/{checklist.pk}/regrets/{regret.pk}/", barrier, results),
        )
        for regret in regrets
    ] + [threading.Thread(target=add) for _ in range(THREADS // 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [200] * (THREADS // 2) + [201] * (THREADS // 2)
    # Half the regrets resolved: the stored score must say exactly that.
    assert Regret.objects.filter(checklist=checklist).count() == THREADS
    assert Checklist.objects.get(pk=checklist.pk).score == Decimal("0.5")
