"""GET /api/checklists/ with ?since=<date> and ?limit=: a window of the history, newest first."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rr.checklists import services
from rr.checklists.models import Checklist

pytestmark = pytest.mark.django_db

URL = "/api/checklists/"


@pytest.fixture
def history(user):
    """Ten days at +14:00 (19-28 June local), and a legacy row (no local date) on 10 June UTC."""
    made = [
        services.checklist_for_day(
            user=user, local_datetime=datetime(2025, 6, day, 1, tzinfo=timezone(timedelta(hours=14)))
        )[0]
        for day in range(19, 29)
    ]
    legacy = Checklist.objects.create(user=user, created_at=datetime(2025, 6, 10, 23, tzinfo=UTC))
    return made, legacy


def _dates(response):
    assert response.status_code == 200, response.json()
    return [row["local_date"] for row in response.json()]


def test_without_parameters_every_checklist_newest_first(client, history):
    assert _dates(client.get(URL)) == [f"2025-06-{day}" for day in range(28, 18, -1)] + ["2025-06-10"]


def test_since_keeps_the_local_dates_from_that_day(client, history):
    # 19 June 01:00 at +14:00 is 18 June 11:00 UTC: the local date decides, not the UTC one.
    assert _dates(client.get(URL, {"since": "2025-06-19"})) == [f"2025-06-{day}" for day in range(28, 18, -1)]
    assert _dates(client.get(URL, {"since": "2025-06-27"})) == ["2025-06-28", "2025-06-27"]
    assert _dates(client.get(URL, {"since": "2025-06-10"}))[-1] == "2025-06-10"  # legacy: its UTC date
    assert _dates(client.get(URL, {"since": "2025-06-29"})) == []


def test_limit_keeps_the_newest(client, history):
    assert _dates(client.get(URL, {"limit": "3"})) == ["2025-06-28", "2025-06-27", "2025-06-26"]
    assert _dates(client.get(URL, {"limit": "3", "since": "2025-06-27"})) == ["2025-06-28", "2025-06-27"]
    assert len(_dates(client.get(URL, {"limit": "1000"}))) == 11


def test_a_window_costs_the_same_two_queries(client, history):
    with CaptureQueriesContext(connection) as queries:
        _dates(client.get(URL, {"since": "2025-06-25", "limit": "2"}))
    checklist_queries = [
        q["sql"] for q in queries.captured_queries if "rr_checklist" in q["sql"] or "rr_regret" in q["sql"]
    ]
    assert len(checklist_queries) == 2, checklist_queries
    assert "LIMIT 2" in checklist_queries[0]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"since": "yesterday"}, "since", "Must be a date, YYYY-MM-DD."),
        ({"since": "2025-02-30"}, "since", "Must be a date, YYYY-MM-DD."),
        ({"since": "2025-W25-1"}, "since", "Must be a date, YYYY-MM-DD."),
        ({"since": ""}, "since", "Must be a date, YYYY-MM-DD."),
        ({"limit": "0"}, "limit", "Must be an integer from 1 to 1000."),
        ({"limit": "1001"}, "limit", "Must be an integer from 1 to 1000."),
        ({"limit": "-1"}, "limit", "Must be an integer from 1 to 1000."),
        ({"limit": "٣"}, "limit", "Must be an integer from 1 to 1000."),
    ],
)
def test_a_bad_window_is_a_400_naming_the_field(client, history, params, field, message):
    response = client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_field" and body["fields"] == {field: [message]}
