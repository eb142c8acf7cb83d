"""user_days_repair and `manage.py initialize_user_days`: the backfill after migration 0013 and drift repair."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from rr.ops import user_days


def _rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_id, row(d.*)::text FROM rr_user_days d ORDER BY user_id")
        return cursor.fetchall()


def _sql(statement):
    with connection.cursor() as cursor:
        cursor.execute(statement)


@pytest.fixture
def with_days(make_user, checklist):
    users = [make_user() for _ in range(5)]
    for back, user in enumerate(users[:4]):
        checklist(user, datetime.now(UTC) - timedelta(days=back + 1), total=2, resolved=2)
    return users


def _run(*args):
    out = io.StringIO()
    call_command("initialize_user_days", *args, stdout=out)
    return out.getvalue()


def test_the_backfill_fills_what_the_triggers_would_have_written(with_days):
    kept = _rows()
    assert len(kept) == 4  # users with days, and only them
    _sql("DELETE FROM rr_user_days")  # as right after migration 0013 on the live database

    dry = _run("--dry-run")
    assert "Users whose row differs: 4" in dry and "Dry run: nothing was written." in dry
    assert _rows() == []

    done = _run("--scan-size", "2", "--batch-size", "1")
    assert "Rows written: 4" in done and "Repair batches: 4" in done
    assert _rows() == kept
    assert "Users whose row differs: 0" in _run()  # a second run changes nothing


def test_drift_is_found_reported_and_repaired(with_days):
    kept = _rows()
    _sql("UPDATE rr_user_days SET longest = longest + 5, strength_sum = strength_sum / 2")
    _sql(f"INSERT INTO rr_user_days VALUES ({with_days[4].pk}, NULL, NULL, NULL, NULL, 0, 0, 0)")  # no days
    with pytest.raises(CommandError) as failure:
        _run("--check")
    assert failure.value.returncode == 1
    assert "5 user(s) differ" in str(failure.value)
    assert "Rows written: 5" in _run()
    assert _rows() == kept


def test_a_run_resumes_after_an_id(with_days):
    _sql("DELETE FROM rr_user_days")
    report = user_days.user_days_repair(after_id=with_days[1].pk)
    assert [user_id for user_id, _ in _rows()] == [user.pk for user in with_days[2:4]]
    assert report.last_id >= max(user.pk for user in with_days)


@pytest.mark.parametrize("option", ["--scan-size", "--batch-size"])
def test_sizes_must_be_positive(option):
    with pytest.raises(CommandError, match=f"{option} must be a positive integer"):
        _run(option, "0")
