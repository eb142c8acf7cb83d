"""The benchmark harness (bench/) imports and its helpers work on tiny data. No timing is checked."""

import json
import subprocess
import sys

import pytest
from django.db import connection

from bench import data, inproc, repair, report, wrk
from rr.accounts.models import User

pytestmark = pytest.mark.django_db

MACHINE = {
    "nproc": 2,
    "cpu": "test",
    "memory_gib": 1,
    "postgresql": "15",
    "redis": "7",
    "python": "3.11",
    "loadavg_start": [0, 0, 0],
    "loadavg_end": [0, 0, 0],
}


def test_list_checklist_and_follow_helpers(tmp_path):
    with connection.cursor() as cursor:
        ids = data.app_fixture(
            cursor,
            list_sizes=[1, 3],
            checklists_per_friend=2,
            history_sizes=[1, 2],
            load_clients=2,
            targets_per_client=2,
        )
    lists = inproc.network_list(ids["viewers"], repeats=1, warmup=0)
    assert {size: figures["entries"] for size, figures in lists.items()} == {1: 1, 3: 3}
    assert lists[1]["queries"] == lists[3]["queries"]
    days = inproc.checklist_of_the_day(ids["history"], repeats=1, warmup=0)
    assert days[1]["found_queries"] == days[2]["found_queries"]
    client = ids["clients"][0]
    target = _username(ids["targets"][client][0])
    queries = inproc.follow_queries(client, target)
    assert queries["settings"] == 1

    app = {"list": lists, "checklist": days, "queries": queries}
    results = {"mode": "test", "started": "now", "machine": MACHINE, "app": app}
    text = report.table(json.loads(json.dumps(results)))
    assert "SQL queries per request" in text and "found: ratio" in text


def test_count_repair_graph_drift_and_raw_statement():
    with connection.cursor() as cursor:
        base, last = data.users_insert_range(cursor, "g", 50)
        assert last - base == 49
        follows = data.graph_insert(cursor, base=base, n=50, per_user=3, stride=7)
        assert follows == 50 * 3 + 4  # and users 10, 20, 30, 40 follow the celebrity
        cursor.execute(repair.DRIFTING_SQL)
        assert cursor.fetchone()[0] == 0  # the triggers kept the counts
        assert data.drift_introduce(cursor, celebrity=base) > 0
        cursor.execute(repair.DRIFTING_SQL)
        drifting = cursor.fetchone()[0]
        cursor.execute(repair.RAW_REPAIR_SQL)
        assert cursor.rowcount == drifting > 0
        cursor.execute(repair.DRIFTING_SQL)
        assert cursor.fetchone()[0] == 0


def test_rss_wrapper_reports_the_child(tmp_path):
    out = tmp_path / "figures.json"
    subprocess.run([sys.executable, "-m", "bench.rss", str(out), sys.executable, "-c", "pass"], check=True)
    figures = json.loads(out.read_text())
    assert figures["exit_code"] == 0 and figures["peak_rss_kib"] > 0


def _username(user_id):
    return User.objects.get(pk=user_id).username


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
        raw = cursor.fetchall()
    page = _api_page(viewer, 3)
    assert [row[1] for row in raw] == [entry["id"] for entry in page["users"]] == [friends[0], friends[1], friends[3]]
    for row, entry in zip(raw, page["users"], strict=True):
        assert (row[2], row[5], row[6]) == (entry["username"], entry["followers_count"], entry["following_count"])
        assert float(row[8]) == entry["regret_index"]
        assert (row[10], row[11]) == (entry["you_follow"], entry["follows_you"])
    assert [row[11] for row in raw] == [False, True, False]
    assert {row[12] for row in raw} == {page["count"]} == {3}


def test_wrk_report_takes_min_median_max_over_rounds_and_flags_failed_runs():
    results = _wrk_results(follow_ops=[600, 700, 800], ceiling_ops=[1000, 1000, 1000], unexpected=0)
    rows = {figure: (value, target, verdict) for _, figure, value, target, verdict in wrk.rows(results)}
    assert rows["follow+unfollow : ceiling, min / median / max"][0].startswith("60% / 70% / 80% (load ")
    assert rows["follow+unfollow : ceiling, min / median / max"][2] == "met"
    assert rows["list of 1,000 : raw statement (median ms), min / median / max"][2] == "MISSED"  # 10 ms : 2 ms
    assert rows["unexpected answers, socket errors"][2] == "met"
    assert "| follow+unfollow, ops/s (8 connections) | 600 / 700 / 800 |" in wrk.table(results)

    failed = _wrk_results(follow_ops=[600, 700, 800], ceiling_ops=[1000, 1000, 1000], unexpected=2)
    assert wrk.failures(failed) and "follow answered 409" in wrk.failures(failed)[0]
    rows = {figure: verdict for _, figure, _, _, verdict in wrk.rows(failed)}
    assert rows["follow+unfollow : ceiling, min / median / max"] == "met"
    assert rows["unexpected answers, socket errors"] == "MISSED"


def _api_page(viewer, size):
    response = inproc.client_for(viewer).get(f"/api/network/list/following/?page_size={size}")
    assert response.status_code == 200
    return response.json()


def _wrk_results(*, follow_ops, ceiling_ops, unexpected):
    def run(ops, median_ms=1.0, bad=0):
        return {"ops_per_s": ops, "median_ms": median_ms, "unexpected": bad, "first_unexpected": "follow answered 409"
                if bad else "", "socket_errors": 0, "timeouts": 0, "loadavg": [1.0, 2.0]}  # fmt: skip

    rounds = []
    for follow, ceiling in zip(follow_ops, ceiling_ops, strict=True):
        side = {"ceiling": run(ceiling), "follow": run(follow, bad=unexpected), "login": run(10)}
        side["rss_after_lists_kib"] = 110 * 1024
        raw = {"follow": run(2000)}
        for size in wrk.LIST_SIZES:
            side[f"list_{size}"] = run(50)
            side[f"list_{size}_alone"] = run(50, median_ms=10.0)
            raw[f"list_{size}_alone"] = run(0, median_ms=2.0)
        rounds.append({"this": side, "raw": raw})
    counts = {"per_request": 2, "nested_per_request": 0, "statements": []}
    kinds = ("ceiling", "follow", "unfollow", "list_10", "list_1000")
    return {
        "started": "now", "seconds": 4, "workers": 2, "clients": 8, "postgresql": "15",
        "loadavg_start": [1.0], "loadavg_end": [2.0], "elapsed_s": 60,
        "sides": {"this": {"commit": "abc", "statements": dict.fromkeys(kinds, counts), "rss_start_kib": 100 * 1024}},
        "rounds": rounds,
    }  # fmt: skip
