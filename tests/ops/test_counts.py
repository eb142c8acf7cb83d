"""network_counts_repair and `manage.py initialize_network_counts`: dry run, repair, check, progress."""

import io
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rr.accounts.models import User
from rr.network.models import Network
from tests.network.helpers import counts_drift
from rr.ops import counts
from tests.ops.helpers import drift, follow, row_versions, sql, stored_counts
from tests.support import pg


@pytest.fixture
def graph(make_user):
    """12 users, each following the 1st, 2nd and 5th next one: 3 followers and 3 followed each."""
    users = [make_user() for _ in range(12)]
    for index, user in enumerate(users):
        for step in (1, 2, 5):
            follow(user, users[(index + step) % len(users)])
    return users


def run_command(*args):
    out = io.StringIO()
    call_command("initialize_network_counts", *args, stdout=out)
    return out.getvalue()


def test_dry_run_reports_each_drift_and_writes_nothing(graph):
    drifted = drift(graph)
    before = row_versions()
    with CaptureQueriesContext(connection) as queries:
        report = counts.network_counts_repair(dry_run=True, batch_size=5)

    assert (report.checked, report.differing, report.updated) == (len(graph), len(drifted), 0)
    assert report.batches == 3
    assert [d.user_id for d in report.samples] == drifted
    assert {(d.followers_stored, d.followers_true, d.following_stored, d.following_true) for d in report.samples} == {
        (6, 3, 4, 3)
    }
    assert row_versions() == before
    statements = [query["sql"].lstrip().upper() for query in queries.captured_queries]
    reads = ("SELECT", "SET TRANSACTION READ ONLY", "SAVEPOINT", "RELEASE")
    assert statements and all(s.startswith(reads) for s in statements)
    assert not any("FOR UPDATE" in s or "FOR NO KEY UPDATE" in s for s in statements)
    assert len(counts_drift()) == len(drifted)


def test_repair_writes_only_the_differing_rows_and_a_second_run_changes_nothing(graph):
    drifted = drift(graph)
    before = row_versions()

    report = counts.network_counts_repair(batch_size=5)

    after = row_versions()
    assert (report.checked, report.differing, report.updated) == (len(graph), len(drifted), len(drifted))
    assert counts_drift() == []
    assert {user_id for user_id in before if before[user_id] != after[user_id]} == set(drifted)
    again = counts.network_counts_repair(batch_size=5)
    assert (again.differing, again.updated) == (0, 0)
    assert row_versions() == after


def test_repair_counts_links_written_while_the_triggers_were_off(make_user):
    users = [make_user() for _ in range(4)]
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred FK checks pending: ALTER TABLE refuses those
    sql("ALTER TABLE rr_network DISABLE TRIGGER USER")
    Network.objects.bulk_create([Network(follower=users[0], following=other) for other in users[1:]])
    sql("ALTER TABLE rr_network ENABLE TRIGGER USER")
    assert stored_counts(users[0]) == (0, 0)

    report = counts.network_counts_repair()

    assert report.updated == 4
    assert stored_counts(users[0]) == (0, 3)
    assert [stored_counts(user) for user in users[1:]] == [(1, 0)] * 3


def test_dry_run_command_prints_a_capped_table_and_a_summary(graph, monkeypatch):
    monkeypatch.setattr(counts, "SAMPLE_LIMIT", 2)
    drifted = drift(graph)
    names = dict(User.objects.filter(pk__in=drifted).values_list("pk", "username"))

    output = run_command("--dry-run", "--batch-size", "4")

    lines = output.splitlines()
    assert lines[0].split() == ["username", "followers", "stored", "followers", "true", "following", "stored",
                                "following", "true"]  # fmt: skip
    assert lines[1].split() == [names[drifted[0]], "6", "3", "4", "3"]
    assert lines[2].split()[0] == names[drifted[1]]
    assert lines[3] == f"... and {len(drifted) - 2} more ({len(drifted)} in total)"
    assert lines[4].startswith(f"Users checked: {len(graph)}. Users whose counts differ: {len(drifted)}. "
                               f"Users would change: {len(drifted)}.")  # fmt: skip
    assert "nothing was written" in lines[4]
    assert len(counts_drift()) == len(drifted)


def test_repair_command_reports_the_changes_then_none(graph):
    drifted = drift(graph)
    assert f"Users changed: {len(drifted)}." in run_command()
    output = run_command()
    assert "Users whose counts differ: 0. Users changed: 0." in output
    assert "username" not in output


def test_check_exits_nonzero_on_drift_writes_nothing_and_passes_once_repaired(graph):
    drifted = drift(graph)
    before = row_versions()
    with pytest.raises(CommandError) as failure:
        run_command("--check")
    assert failure.value.returncode == 1
    assert f"{len(drifted)} user(s) differ" in str(failure.value)
    assert row_versions() == before

    run_command()
    assert "Users whose counts differ: 0." in run_command("--check")


def test_batch_size_must_be_positive(db):
    with pytest.raises(CommandError, match="positive"):
        run_command("--batch-size", "0")


def test_progress_is_logged_by_tenths_without_a_terminal(graph, caplog):
    caplog.set_level("INFO", logger="rr.ops.counts")
    run_command("--dry-run", "--batch-size", "1")
    progress = [r.users_checked for r in caplog.records if r.getMessage() == "count repair progress"]
    assert len(progress) == 10  # 12 users in batches of 1: one line per tenth, not per batch
    assert progress[-1] == len(graph)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal(graph, monkeypatch, caplog):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    caplog.set_level("INFO", logger="rr.ops.counts")
    run_command("--dry-run", "--batch-size", "5")
    assert f"{len(graph)}/{len(graph)}" in terminal.getvalue()
    assert "100%" in terminal.getvalue()
    assert not [r for r in caplog.records if r.getMessage() == "count repair progress"]


def test_each_repair_is_logged(graph, caplog):
    caplog.set_level("INFO", logger="rr.ops.counts")
    drifted = drift(graph)
    counts.network_counts_repair()
    repaired = [r for r in caplog.records if r.getMessage() == "count repaired"]
    assert [r.target_user_id for r in repaired] == drifted
    assert (repaired[0].followers_before, repaired[0].followers_after) == (6, 3)
    summary = [r for r in caplog.records if r.getMessage() == "count repair finished"]
    assert summary[0].users_updated == len(drifted)


@pytest.mark.django_db(transaction=True)
def test_a_batch_blocked_too_long_stops_the_run_and_a_rerun_finishes(make_user, monkeypatch):
    users = [make_user() for _ in range(6)]
    sql("UPDATE rr_user SET followers_count = followers_count + 2")
    monkeypatch.setattr(counts, "LOCK_TIMEOUT", "100ms")
    monkeypatch.setattr(counts, "BATCH_ATTEMPTS", 2)
    with pg.connect(connection.settings_dict["NAME"], autocommit=False) as other:
        # A long transaction holds the fourth user: the second batch (users 4-6) cannot lock.
        other.execute("SELECT 1 FROM rr_user WHERE id = %s FOR UPDATE", [users[3].pk])
        with pytest.raises(CommandError, match="Run the command again"):
            run_command("--batch-size", "3")
        other.rollback()

    assert [stored_counts(user) for user in users[:3]] == [(0, 0)] * 3
    assert [stored_counts(user) for user in users[3:]] == [(2, 0)] * 3
    assert "Users changed: 3." in run_command("--batch-size", "3")
    assert counts_drift() == []
