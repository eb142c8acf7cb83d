"""A checklist completes when its local day is over plus DAY_CLOSE_GRACE_HOURS; then it is frozen."""

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from django.core.management import call_command

from rr.checklists import selectors, services
from rr.checklists.models import Checklist, Regret

pytestmark = pytest.mark.django_db

URL = "/api/checklists/"


@pytest.fixture(autouse=True)
def production_grace(settings):
    # testing_env keeps fixtures' past days open; here days close as in production.
    settings.DAY_CLOSE_GRACE_HOURS = 6


def _local(text):
    return datetime.fromisoformat(text)


def _checklist(user, local):
    return services.checklist_for_day(user=user, local_datetime=_local(local))[0]


def test_a_day_closes_at_local_midnight_plus_the_grace():
    made = Checklist(
        local_date=date(2025, 6, 19), utc_offset_minutes=480, created_at=_local("2025-06-19T01:00:00+08:00")
    )

    # Midnight after 19 June in +08:00 is 16:00 UTC on the 19th; six hours later, 22:00 UTC.
    assert selectors.checklist_closes_at(made) == datetime(2025, 6, 19, 22, tzinfo=UTC)


def test_a_legacy_checklist_closes_after_its_utc_date():
    legacy = Checklist(created_at=datetime(2025, 6, 19, 23, 30, tzinfo=UTC))

    assert selectors.checklist_closes_at(legacy) == datetime(2025, 6, 20, 6, tzinfo=UTC)


def test_yesterday_can_be_ticked_at_half_past_midnight_but_not_after_the_grace(user):
    yesterday = _checklist(user, "2025-06-19T20:00:00+02:00")
    regret, _ = services.regret_add(
        user=user, checklist_id=yesterday.pk, description="Go for a run", at=_local("2025-06-19T20:01:00+02:00")
    )

    _, ticked = services.regret_resolve(
        user=user, checklist_id=yesterday.pk, regret_id=regret.pk, success=True, at=_local("2025-06-20T00:30:00+02:00")
    )
    assert ticked.score == 0
    with pytest.raises(services.Conflict) as refusal:
        services.regret_add(
            user=user, checklist_id=yesterday.pk, description="late", at=_local("2025-06-20T06:00:00+02:00")
        )

    assert refusal.value.code == "day_closed" and refusal.value.status_code == 409
    yesterday.refresh_from_db()
    assert yesterday.completed is True  # stored by the refused request itself
    assert Regret.objects.filter(checklist=yesterday).count() == 1


def test_ticking_a_closed_day_through_the_api_is_409_day_closed_and_freezes_the_score(client, user):
    closed = _checklist(user, "2025-06-19T08:00:00+02:00")
    regret = Regret.objects.create(checklist=closed, description="Call my mother")

    response = client.patch(f"{URL}{closed.pk}/regrets/{regret.pk}/", {"success": True}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "day_closed"
    closed.refresh_from_db()
    assert closed.completed is True and closed.score == 1
    assert not Regret.objects.get(pk=regret.pk).success


def test_completed_is_reported_once_the_day_closed_even_before_it_is_stored(client, user):
    closed = _checklist(user, "2025-06-19T08:00:00+02:00")

    body = client.get(f"{URL}{closed.pk}/").json()

    assert body["completed"] is True and body["local_date"] == "2025-06-19"
    assert Checklist.objects.get(pk=closed.pk).completed is False


def test_todays_checklist_is_open(client, user):
    now = datetime.now(UTC)
    body = client.post(URL, {"local_datetime": now.isoformat()}, format="json").json()

    assert body["completed"] is False


def test_the_first_request_of_a_day_completes_the_days_that_closed(client, user):
    now = datetime.now(UTC)
    yesterday = _checklist(user, (now - timedelta(days=1, hours=7)).isoformat())
    ancient = _checklist(user, "2025-06-19T08:00:00+02:00")  # beyond the sweep: the command's job

    client.post(URL, {"local_datetime": now.isoformat()}, format="json")

    assert Checklist.objects.get(pk=yesterday.pk).completed is True
    assert Checklist.objects.get(pk=ancient.pk).completed is False


def test_the_periodic_command_completes_every_closed_day_in_batches(user, make_user):
    now = datetime.now(UTC)
    other = make_user()
    closed = [_checklist(person, f"2025-06-{day}T08:00:00+02:00") for person in (user, other) for day in (17, 18, 19)]
    today = _checklist(user, now.isoformat())
    legacy = Checklist.objects.create(user=other, created_at=now - timedelta(days=3))

    call_command("complete_checklists", "--batch-size", "2")

    assert set(Checklist.objects.filter(completed=True).values_list("pk", flat=True)) == {
        *(checklist.pk for checklist in closed),
        legacy.pk,
    }
    assert Checklist.objects.get(pk=today.pk).completed is False
    call_command("complete_checklists")  # a second run finds nothing more
    assert Checklist.objects.filter(completed=True).count() == len(closed) + 1


# One checklist per local date, whatever the offset: a day that closed where the user was
# cannot be opened again by sending it at an offset further west.


def _at(offset_hours, *, days=0):
    """Now (plus `days`) at that UTC offset, to the minute."""
    zone = timezone(timedelta(hours=offset_hours))
    return (datetime.now(UTC) + timedelta(days=days)).astimezone(zone).replace(second=0, microsecond=0)


def _at_date(local_date, offset_hours, hour=12):
    return datetime.combine(local_date, time(hour), tzinfo=timezone(timedelta(hours=offset_hours)))


@pytest.fixture
def no_grace(settings):
    # A day then closes at its local midnight: at -12:00 it is still the day that closed at
    # +14:00 for the next 26 hours minus the time of day there, whatever the test's clock.
    settings.DAY_CLOSE_GRACE_HOURS = 0


def test_a_closed_day_is_returned_not_reopened_through_another_offset(clock, client, user, no_grace):
    west_now = _at(-12)
    day = west_now.date()
    closed = _checklist(user, _at_date(day, 14, hour=0).isoformat())  # closed at +14:00 since 10:00Z

    response = client.post(URL, {"local_datetime": west_now.isoformat()}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["id"] == closed.pk and response.json()["completed"] is True
    assert Checklist.objects.filter(user=user).count() == 1


def test_a_missed_day_closed_at_the_last_offset_cannot_be_opened_at_another(clock, client, user, no_grace):
    west_now = _at(-12)
    day = west_now.date()
    _checklist(user, _at_date(day - timedelta(days=1), 14).isoformat())  # the day before, at +14:00

    response = client.post(URL, {"local_datetime": west_now.isoformat()}, format="json")

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "day_closed"
    assert not Checklist.objects.filter(user=user, local_date=day).exists()
    # The date it is now at the last offset opens as usual.
    assert client.post(URL, {"local_datetime": _at(14).isoformat()}, format="json").status_code == 201


def test_a_closed_day_is_still_made_at_the_last_offset_itself(clock, user, no_grace):
    day = _at(-12).date()
    _checklist(user, _at_date(day - timedelta(days=1), 14).isoformat())

    made, created = services.checklist_for_day(user=user, local_datetime=_at_date(day, 14, hour=23))

    # Frozen from birth: nothing can be added or ticked, so nothing is revived.
    assert created and selectors.checklist_is_completed(made, at=datetime.now(UTC))


def test_a_legacy_latest_checklist_tells_no_offset_and_refuses_nothing(clock, client, user, no_grace):
    west_now = _at(-12)
    day = west_now.date()
    Checklist.objects.create(user=user, created_at=_at_date(day - timedelta(days=1), 0))  # no offset stored

    assert client.post(URL, {"local_datetime": west_now.isoformat()}, format="json").status_code == 201


def test_a_missed_day_cannot_be_revived_by_making_the_next_day_first_at_a_western_offset(clock, client, user, settings):
    # The day before at +14:00, then D missed. D is refused at -12:00 (closed at +14:00);
    # the next day D+1, made at an offset where D would still be open, must not become the
    # offset D is judged by: D is judged by the last checklist before it.
    # Now is D at -12:00: within [D 12:00Z, D+1 12:00Z). A grace of 2 hours closes D at +14:00
    # (D 12:00Z) by then, and leaves D+1 at +14:00 open (until D+1 12:00Z), so the only day
    # refused is D, whatever the test's clock. (With 1 hour, D+1 closed at +14:00 from
    # D+1 11:00Z, and from then D+1 was rightly refused too.)
    settings.DAY_CLOSE_GRACE_HOURS = 2
    west_now = _at(-12)
    day = west_now.date()
    _checklist(user, _at_date(day - timedelta(days=1), 14).isoformat())
    assert client.post(URL, {"local_datetime": west_now.isoformat()}, format="json").status_code == 409
    # An offset where it is already D+1 but D has not closed yet (within the grace).
    now = datetime.now(UTC)
    to_next_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC) - now
    offset = timedelta(minutes=-((-to_next_midnight) // timedelta(minutes=1)))  # rounded up to the minute
    assert selectors.day_close_grace() > offset - to_next_midnight
    next_day = now.astimezone(timezone(offset)).replace(second=0, microsecond=0)
    assert next_day.date() == day + timedelta(days=1)
    assert client.post(URL, {"local_datetime": next_day.isoformat()}, format="json").status_code == 201

    response = client.post(URL, {"local_datetime": _at(-12).isoformat()}, format="json")

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "day_closed"
    assert not Checklist.objects.filter(user=user, local_date=day).exists()
