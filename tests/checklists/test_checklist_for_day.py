"""`POST /api/checklists/` (checklist_for_day) and `GET /api/checklists/` (checklist_list)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rr.checklists import selectors, services
from rr.checklists.models import Checklist
from tests.support import queries

pytestmark = pytest.mark.django_db

URL = "/api/checklists/"
CHECKLIST_FIELDS = {"id", "created_at", "score", "completed", "local_date", "regrets"}
# POST /api/checklists/ (the day the app opens) also carries the streak.
DAY_FIELDS = CHECKLIST_FIELDS | {"current_streak", "kept_today"}


def _for_day(client, local_datetime):
    return client.post(URL, {"local_datetime": local_datetime}, format="json")


def test_first_request_of_a_local_day_creates_the_checklist_then_returns_it(client, user):
    created = _for_day(client, "2025-06-19T01:00:00+08:00")

    assert created.status_code == 201
    body = created.json()
    assert set(body) == DAY_FIELDS
    # created_at is the instant sent, in UTC.
    assert body["created_at"] == "2025-06-18T17:00:00Z"
    assert body["score"] == 1.0 and body["completed"] is False and body["regrets"] == []

    later = _for_day(client, "2025-06-19T23:59:59+08:00")
    assert later.status_code == 200
    assert later.json()["id"] == body["id"]
    assert Checklist.objects.filter(user=user).count() == 1


def test_the_returned_checklist_carries_its_regrets(client, user):
    checklist_id = _for_day(client, "2025-06-19T08:00:00+02:00").json()["id"]
    client.post(f"{URL}{checklist_id}/regrets/", {"description": "call mum"}, format="json")

    again = _for_day(client, "2025-06-19T20:00:00+02:00").json()

    assert [r["description"] for r in again["regrets"]] == ["call mum"]
    assert again["score"] == 1.0


def test_the_local_date_not_the_utc_date_decides(client):
    # Same UTC date (2025-06-18), different local dates in +08:00.
    first = _for_day(client, "2025-06-19T01:00:00+08:00")
    second = _for_day(client, "2025-06-18T23:30:00+08:00")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["created_at"] == "2025-06-18T15:30:00Z"


def test_a_checklist_is_found_through_any_offset_that_sends_its_local_date(client, user):
    created = _for_day(client, "2025-06-19T01:00:00+08:00").json()  # 2025-06-18T17:00Z

    # The local date decides, not the instant: the whole of 19 June at -12:00, +14:00,
    # +05:30 and -05:00 (up to 2025-06-20T12:00Z) is this checklist.
    for same_date in (
        "2025-06-19T23:59:00-12:00",
        "2025-06-19T00:00:00+14:00",
        "2025-06-19T12:00:00+05:30",
        "2025-06-19T00:30:00-05:00",
    ):
        again = _for_day(client, same_date)
        assert (again.status_code, again.json()["id"]) == (200, created["id"]), same_date
    # 17:00Z is 19:00 on 2025-06-18 at +02:00: another local date, another checklist.
    other = _for_day(client, "2025-06-18T19:00:00+02:00")
    assert other.status_code == 201 and other.json()["local_date"] == "2025-06-18"
    assert Checklist.objects.filter(user=user).count() == 2


def test_day_boundaries_are_half_open(client):
    created = _for_day(client, "2025-06-19T00:00:00+00:00").json()

    assert _for_day(client, "2025-06-19T23:59:59.999999+00:00").json()["id"] == created["id"]
    assert _for_day(client, "2025-06-20T00:00:00+00:00").status_code == 201
    assert _for_day(client, "2025-06-18T23:59:59.999999+00:00").status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"local_datetime": None},
        {"local_datetime": ""},
        {"local_datetime": "yesterday"},
        {"local_datetime": "2025-13-40T00:00:00+00:00"},
        {"local_datetime": "2025-06-19T01:00:00+25:00"},
        {"local_datetime": 1750294800},
        {"local_datetime": ["2025-06-19T01:00:00+08:00"]},
        {"local_datetime": "2025-06-19T01:00:00"},  # no offset
        {"local_datetime": "2025-06-19"},
        {"local_datetime": "0001-01-01T00:00:00+08:00"},
        {"local_datetime": "9999-12-31T23:00:00-08:00"},
        {"local_datetime": "2025-06-19T01:00:00+08:00\x00"},
        {"local_datetime": "2025-06-19T01:00:00+08:00" + " " * 100},
    ],
)
def test_missing_unparseable_or_offset_less_local_datetime_is_400(client, body):
    response = client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"].startswith("local_datetime")
    assert not Checklist.objects.exists()


def test_legacy_duplicates_on_one_day_resolve_to_the_earliest(client, user):
    # Inserted the way the legacy release left them: the later one has the lower id.
    later = Checklist.objects.create(user=user, created_at=datetime(2025, 6, 19, 15, 0, tzinfo=UTC))
    earlier = Checklist.objects.create(user=user, created_at=datetime(2025, 6, 19, 9, 0, tzinfo=UTC))
    assert later.pk < earlier.pk

    for _ in range(2):
        response = _for_day(client, "2025-06-19T20:00:00+00:00")
        assert response.status_code == 200
        assert response.json()["id"] == earlier.pk
    assert Checklist.objects.filter(user=user).count() == 2


def test_legacy_duplicates_at_the_same_instant_resolve_to_the_lowest_id(client, user):
    at = datetime(2025, 6, 19, 9, 0, tzinfo=UTC)
    first = Checklist.objects.create(user=user, created_at=at)
    Checklist.objects.create(user=user, created_at=at)

    assert _for_day(client, "2025-06-19T20:00:00+00:00").json()["id"] == first.pk


def test_another_users_checklist_of_the_same_day_is_not_returned(client, make_user):
    other = make_user()
    theirs, _ = services.checklist_for_day(user=other, local_datetime=datetime(2025, 6, 19, 8, tzinfo=UTC))

    response = _for_day(client, "2025-06-19T10:00:00+00:00")

    assert response.status_code == 201
    assert response.json()["id"] != theirs.pk


def _past_checklists(user, count):
    start = datetime(2020, 1, 1, 12, tzinfo=UTC)
    Checklist.objects.bulk_create(Checklist(user=user, created_at=start + timedelta(days=day)) for day in range(count))


def _queries(client, local_datetime):
    with CaptureQueriesContext(connection) as captured:
        response = _for_day(client, local_datetime)
    return response.status_code, queries.sent(captured)


def test_lookup_cost_does_not_grow_with_the_users_history(make_user, client_of):
    few, many = make_user(), make_user()
    _past_checklists(few, 1)
    _past_checklists(many, 1_000)

    # Creating today's checklist, then finding it again.
    for local_datetime, expected_status in [("2025-06-19T08:00:00+02:00", 201), ("2025-06-19T09:00:00+02:00", 200)]:
        status_few, sql_few = _queries(client_of(few), local_datetime)
        status_many, sql_many = _queries(client_of(many), local_datetime)
        assert status_few == status_many == expected_status
        # auth, advisory lock, the day-close sweep of the last days (an index range), look-up,
        # insert or its regrets; on creation at a new offset also the reminder following it (a primary-key look-up);
        # the routine's copy (one INSERT ... SELECT, on creation only) and the streak (rr.checklists.days.user_stats)
        assert len(sql_many) == len(sql_few) <= (8 if expected_status == 201 else 6), sql_many


def test_listing_is_newest_first_with_regrets_and_only_the_users_own(client, user, make_user, client_of):
    for day in ("2025-06-17", "2025-06-19", "2025-06-18"):
        _for_day(client, f"{day}T12:00:00+00:00")
    _for_day(client_of(make_user()), "2025-06-20T12:00:00+00:00")

    response = client.get(URL)

    assert response.status_code == 200
    assert [c["created_at"][:10] for c in response.json()] == ["2025-06-19", "2025-06-18", "2025-06-17"]
    assert all(set(c) == CHECKLIST_FIELDS for c in response.json())


def test_listing_costs_a_fixed_number_of_queries(client, user):
    _past_checklists(user, 50)
    for checklist in Checklist.objects.filter(user=user)[:5]:
        services.regret_add(user=user, checklist_id=checklist.pk, description="x")

    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL)

    assert response.status_code == 200 and len(response.json()) == 50
    assert len(queries.sent(captured)) == 3  # the user, the checklists, their regrets


def test_a_new_checklist_records_its_local_day_and_offset(user):
    checklist, _ = services.checklist_for_day(
        user=user, local_datetime=datetime.fromisoformat("2025-06-19T01:00:00+08:00")
    )

    checklist.refresh_from_db()
    assert (checklist.local_date, checklist.utc_offset_minutes) == (date(2025, 6, 19), 480)
    assert checklist.created_at == datetime(2025, 6, 18, 17, tzinfo=UTC)


def test_a_negative_offset_is_recorded_in_minutes(user):
    checklist, _ = services.checklist_for_day(
        user=user, local_datetime=datetime.fromisoformat("2025-06-19T23:30:00-03:30")
    )

    checklist.refresh_from_db()
    assert (checklist.local_date, checklist.utc_offset_minutes) == (date(2025, 6, 19), -210)


def test_a_legacy_checklist_without_local_date_belongs_to_its_utc_date(user):
    made, _ = services.checklist_for_day(user=user, local_datetime=datetime.fromisoformat("2025-06-19T01:00:00+08:00"))
    legacy = Checklist.objects.create(user=user, created_at=datetime(2025, 6, 20, 23, 59, tzinfo=UTC))

    days = dict(Checklist.objects.filter(user=user).annotate(day=selectors.LOCAL_DATE).values_list("id", "day"))

    assert days == {made.pk: date(2025, 6, 19), legacy.pk: date(2025, 6, 20)}
    assert selectors.checklist_local_date(legacy) == date(2025, 6, 20)
    made.refresh_from_db()
    assert selectors.checklist_local_date(made) == date(2025, 6, 19)
