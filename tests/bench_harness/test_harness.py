"""The benchmark harness (bench/) imports and its helpers work on tiny data. No timing is checked."""

import json
import subprocess
import sys

import pytest
from django.db import connection

from bench import data, inproc, repair, report
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
