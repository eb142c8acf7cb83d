"""network_counts_repair and `manage.py initialize_network_counts`: dry run, repair, check, progress."""

import io
import math
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rr.accounts.models import User
from rr.network.models import Network
from rr.ops import counts
from tests.ops.helpers import drift, follow, row_versions, sql
from tests.support import pg
from tests.support.counts import counts as stored_counts
from tests.support.counts import counts_drift


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
        report = counts.network_counts_repair(dry_run=True, scan_size=5)

    assert (report.checked, report.differing, report.updated) == (len(graph), len(drifted), 0)
    assert (report.scans, report.batches) == (3, 0)
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
    with CaptureQueriesContext(connection) as queries:
        again = counts.network_counts_repair(batch_size=5)
    assert (again.differing, again.updated, again.batches) == (0, 0, 0)
    assert row_versions() == after
    assert not any("FOR NO KEY UPDATE" in query["sql"] for query in queries.captured_queries)  # nothing locked


# Users 0, 3, 4, 5, 7, 8 and 11 of the 12 drift: the first and last of some windows
# whatever the scan size, and in both directions (4 has both counts wrong).
_DRIFTED = {0: (1, 0), 3: (0, -1), 4: (2, -2), 5: (1, 0), 7: (0, 1), 8: (-1, 0), 11: (1, 0)}


@pytest.mark.parametrize(
    "scan_size, batch_size, batches",
    [
        (1, 2, 7),  # one window per user
        (4, 2, 4),  # windows 0-3 | 4-7 | 8-11 hold 2 | 3 | 2 drifting users
        (5, 2, 5),  # windows 0-4 | 5-9 | 10-11 hold 3 | 3 | 1
        (100, 3, 3),  # one window of 7, repaired 3 + 3 + 1
    ],
)
def test_scans_find_exactly_the_drifted_users_across_window_boundaries(graph, scan_size, batch_size, batches):
    for index, (followers, following) in _DRIFTED.items():
        sql(
            "UPDATE rr_user SET followers_count = followers_count + %s, following_count = following_count + %s "
            "WHERE id = %s",
            [followers, following, graph[index].pk],
        )
    drifted = [graph[index].pk for index in sorted(_DRIFTED)]

    dry = counts.network_counts_repair(dry_run=True, scan_size=scan_size)
    assert [d.user_id for d in dry.samples] == drifted
    assert (dry.checked, dry.scans) == (len(graph), math.ceil(len(graph) / scan_size))
    offsets = [(d.followers_stored - d.followers_true, d.following_stored - d.following_true) for d in dry.samples]
    assert offsets == [_DRIFTED[index] for index in sorted(_DRIFTED)]

    report = counts.network_counts_repair(scan_size=scan_size, batch_size=batch_size)
    assert [d.user_id for d in report.samples] == drifted
    assert (report.suspected, report.updated, report.batches) == (len(drifted), len(drifted), batches)
    assert counts_drift() == []


@pytest.mark.django_db(transaction=True)
def test_only_drifting_users_are_locked_so_rows_held_elsewhere_do_not_stall_the_repair(make_user, monkeypatch):
    users = [make_user() for _ in range(6)]
    sql("UPDATE rr_user SET followers_count = 2 WHERE id = ANY(%s)", [[users[1].pk, users[4].pk]])
    monkeypatch.setattr(counts, "LOCK_TIMEOUT", "100ms")
    monkeypatch.setattr(counts, "BATCH_ATTEMPTS", 1)
    with pg.connect(connection.settings_dict["NAME"], autocommit=False) as other:
        # A long transaction holds two users whose counts are right, inside the one batch.
        other.execute("SELECT 1 FROM rr_user WHERE id = ANY(%s) FOR UPDATE", [[users[2].pk, users[3].pk]])
        report = counts.network_counts_repair(batch_size=6)
        other.rollback()

    assert (report.suspected, report.updated, report.batches) == (2, 2, 1)
    assert counts_drift() == []


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

    output = run_command("--dry-run", "--scan-size", "4")

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
    output = run_command("--scan-size", "5", "--batch-size", "2")
    assert f"Users changed: {len(drifted)}. Scans: 3, slowest " in output
    assert "Repair batches: 4, longest lock " in output  # the 6 drifting users: 3 + 2 + 1 in the 3 windows
    output = run_command()
    assert "Users whose counts differ: 0. Users changed: 0. Scans: 1, slowest " in output
    assert "Repair batches: 0, longest lock 0.0 ms." in output
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


@pytest.mark.parametrize("option", ["--batch-size", "--scan-size"])
def test_sizes_must_be_positive(db, option):
    with pytest.raises(CommandError, match=f"{option} must be a positive"):
        run_command(option, "0")


def test_progress_is_logged_by_tenths_without_a_terminal(graph, caplog):
    caplog.set_level("INFO", logger="rr.ops.counts")
    run_command("--dry-run", "--scan-size", "1")
    progress = [r.users_checked for r in caplog.records if r.getMessage() == "count repair progress"]
    assert len(progress) == 10  # 12 users in scans of 1: one line per tenth, not per scan
    assert progress[-1] == len(graph)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal(graph, monkeypatch, caplog):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    caplog.set_level("INFO", logger="rr.ops.counts")
    run_command("--dry-run", "--scan-size", "5")
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
