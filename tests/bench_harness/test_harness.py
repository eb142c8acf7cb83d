"""The benchmark harness (bench/) imports and its helpers work on tiny data. No timing is checked."""

import subprocess
import sys

import pytest
from django.db import connection

from bench import data, ops, wrk
from rr.accounts.models import User
from tests.support.clients import client_for

pytestmark = pytest.mark.django_db


def test_count_repair_graph_drift_and_raw_statement():
    with connection.cursor() as cursor:
        users = data.users_insert(cursor, "g", 50)
        base = users[0]
        assert users == list(range(base, base + 50))
        follows = data.graph_insert(cursor, base=base, n=50, per_user=3, stride=7)
        assert follows == 50 * 3 + 4  # and users 10, 20, 30, 40 follow the celebrity
        cursor.execute(ops.DRIFTING_SQL)
        assert cursor.fetchone()[0] == 0  # the triggers kept the counts
        assert data.drift_introduce(cursor, celebrity=base) > 0
        cursor.execute(ops.DRIFTING_SQL)
        drifting = cursor.fetchone()[0]
        cursor.execute(ops.RAW_REPAIR_SQL)
        assert cursor.rowcount == drifting > 0
        cursor.execute(ops.DRIFTING_SQL)
        assert cursor.fetchone()[0] == 0


def test_the_process_in_between_reports_the_commands_exit_code_and_peak_memory():
    done = subprocess.run(
        [sys.executable, "-c", ops.PEAK_RSS, sys.executable, "-c", "import sys; sys.exit(3)"],
        capture_output=True,
        text=True,
        check=True,
    )
    marker, code, rss = done.stdout.split()
    assert (marker, code) == ("RR_RSS", "3") and int(rss) > 0


def test_raw_list_statement_is_the_api_page():
    """bench/sql/list.sql, the raw-SQL ceiling of the list, returns what the API's page shows."""
    with connection.cursor() as cursor:
        ids = data.app_fixture(
            cursor, list_sizes=[4], checklists_per_friend=2, history_sizes=[], load_clients=1, targets_per_client=1
        )
        viewer = ids["viewers"][4]
        friends = [row["id"] for row in _api_page(viewer, 4)["users"]]
        data.follows_insert(cursor, friends[1], [viewer])  # one of them follows back
        cursor.execute("UPDATE rr_user SET is_active = false WHERE id = %s", [friends[2]])  # and one leaves
        sql = (wrk.SQL / "list.sql").read_text().replace(":viewer", str(viewer)).replace(":size", "3")
        cursor.execute(sql)
        columns = [column.name for column in cursor.description]
        raw = [dict(zip(columns, row)) | {"row": row} for row in cursor.fetchall()]
    page = _api_page(viewer, 3)
    assert [row["row"][1] for row in raw] == [entry["id"] for entry in page["users"]]
    assert [entry["id"] for entry in page["users"]] == [friends[0], friends[1], friends[3]]
    for row, entry in zip(raw, page["users"], strict=True):
        assert (row["username"], row["followers_count"], row["following_count"]) == (
            entry["username"],
            entry["followers_count"],
            entry["following_count"],
        )
        assert float(row["score"]) == entry["regret_index"]
        assert row["row"][-3:-1] == (entry["you_follow"], entry["follows_you"])
        assert row["last_date"] is not None  # the summary of days, read by its key
    assert [row["row"][-2] for row in raw] == [False, True, False]
    assert {row["row"][-1] for row in raw} == {page["count"]} == {3}


def test_wrk_report_takes_min_median_max_over_rounds_and_flags_failed_runs():
    results = _wrk_results(follow_ops=[600, 700, 800], ceiling_ops=[1000, 1000, 1000], unexpected=0)
    table = wrk.table(results)
    assert "| follow+unfollow, ops/s (8 connections) | 600 / 700 / 800 |" in table
    assert "| follow+unfollow : ceiling | 60% / 70% / 80% |" in table
    assert "| list of 1,000 : its raw statement | 5.0x / 5.0x / 5.0x |" in table  # 10 ms : 2 ms
    assert "| checklist of the day found: 1,000 past days : none | 1.25x / 1.25x / 1.25x |" in table
    assert "| statements sent: ceiling / follow / unfollow / list 10 / list 1,000 | 2 / 2 / 2 / 2 / 2 |" in table
    assert not wrk.failures(results)

    failed = _wrk_results(follow_ops=[600, 700, 800], ceiling_ops=[1000, 1000, 1000], unexpected=2)
    assert len(wrk.failures(failed)) == 3 and "follow answered 409" in wrk.failures(failed)[0]


def _api_page(viewer, size):
    response = client_for(User.objects.get(pk=viewer)).get(f"/api/network/list/following/?page_size={size}")
    assert response.status_code == 200
    return response.json()


def _wrk_results(*, follow_ops, ceiling_ops, unexpected):
    def run(ops, median_ms=1.0, bad=0):
        return {"ops_per_s": ops, "median_ms": median_ms, "unexpected": bad, "first_unexpected": "follow answered 409"
                if bad else "", "socket_errors": 0, "timeouts": 0, "loadavg": [1.0, 2.0], "app_cpu_ms": 1.0,
                "db_cpu_ms": 0.5}  # fmt: skip

    rounds = []
    for follow, ceiling in zip(follow_ops, ceiling_ops, strict=True):
        side = {"ceiling": run(ceiling), "follow": run(follow, bad=unexpected), "hot": run(follow), "login": run(10)}
        side |= {"rss_after_lists_kib": 110 * 1024, "raw_follow": run(2000), "raw_hot": run(1000)}
        for size in wrk.LIST_SIZES:
            side |= {f"list_{size}": run(50), f"list_{size}_alone": run(50, median_ms=10.0)}
            side[f"raw_list_{size}"] = run(0, median_ms=2.0)
        side |= {f"checklists_{name}": run(5, median_ms=100.0) for name in wrk.checklist_paths()}
        side |= {"checklist_found_new": run(50, median_ms=4.0), "checklist_found_history": run(50, median_ms=5.0)}
        rounds.append({"this": side})
    counts = {"per_request": 2, "nested_per_request": 0, "round_trips": 2, "bytes": 1000, "statements": []}
    kinds = [kind for _, kinds in wrk.COUNTS.values() for kind in kinds]
    return {
        "started": "now", "seconds": 4, "workers": 2, "clients": 8, "postgresql": "15", "elapsed_s": 60,
        "sides": {"this": {"commit": "abc", "days": 30, "statements": dict.fromkeys(kinds, counts),
                           "rss_start_kib": 100 * 1024}},
        "rounds": rounds,
    }  # fmt: skip
