"""Several send_reminders at once: each reminder is sent once (real threads, separate connections)."""

import threading
from datetime import time

import pytest
from django.utils import timezone

from rr.notifications import services
from rr.notifications.models import Reminder
from tests.support.threads import run_threads

pytestmark = pytest.mark.django_db(transaction=True)

USERS = 30


def test_two_concurrent_runs_send_each_reminder_once(make_user, client_of, push_peer):
    endpoints = []
    for _ in range(USERS):
        user = make_user()
        body = push_peer.subscription_body()
        assert client_of(user).post("/api/push/subscriptions/", body, format="json").status_code == 201
        endpoints.append(body["endpoint"].rsplit("/", 1)[-1])
        services.reminder_set(user=user, enabled=True, local_time=time(0, 0), utc_offset_minutes=0)
    now = timezone.now()
    start = threading.Barrier(2)
    results = []

    def run(i):
        start.wait(10)
        # Small batches, so the two runs interleave over the due rows.
        results.append(services.reminders_send(now=now, batch=3))

    assert run_threads(2, run, barriers=[start]) == []

    assert sum(r["reminders"]["sent"] for r in results) == USERS
    assert sorted(r.endpoint_id for r in push_peer.delivered()) == sorted(endpoints)
    assert Reminder.objects.filter(last_sent_on__isnull=True).count() == 0


def test_a_sender_that_lost_the_race_finds_the_day_sent(make_user, client_of, push_peer):
    # The conditional UPDATE of last_sent_on, not only SKIP LOCKED: a second run that read
    # the row as due (before the first committed) must not send again.
    user = make_user()
    body = push_peer.subscription_body()
    client_of(user).post("/api/push/subscriptions/", body, format="json")
    services.reminder_set(user=user, enabled=True, local_time=time(0, 0), utc_offset_minutes=0)
    now = timezone.now()
    services.reminders_send(now=now)
    Reminder.objects.filter(user=user).update(next_due_at=now)  # as a stale read would see it
    again = services.reminders_send(now=now)
    assert again["reminders"]["sent"] == 0 and len(push_peer.delivered()) == 1
