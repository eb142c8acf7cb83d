"""`manage.py migrate` takes over the live legacy database in place (SPEC 2).

The snapshot is migrated in a subprocess, exactly as an operator would, and compared
with what it was before and with a fresh install.
"""

import difflib
import json
from pathlib import Path

import pytest
from rest_framework_simplejwt.token_blacklist import migrations as token_blacklist_migrations

from tests.support import pg

# Everything after the legacy 0003: networking (0004, 0005), the username index (0006),
# accounts (0007), the checklists' local day (0008), follow requests, blocks and nudges (0009, 0010), JIT off (0011)
# the covering index of a user's days (0012), the summary of their days (0013), the new tables'
# cascading foreign keys (0014, 0015) reminders with Web Push (0016)
# and the regrets' client_id (0017), the routine (0018) and the reminder's offset trigger (0019).
NETWORKING_MIGRATIONS = {
    ("rr", "0004_networking"),
    ("rr", "0005_validate_user_count_constraints"),
    ("rr", "0006_user_username_upper_idx"),
    ("rr", "0007_accounts_sessions"),
    ("rr", "0008_checklist_local_date"),
    ("rr", "0009_social"),
    ("rr", "0010_validate_user_daily_goal"),
    ("rr", "0011_database_jit_off"),
    ("rr", "0012_checklist_user_days_idx"),
    ("rr", "0013_user_days"),
    ("rr", "0014_user_fks_cascade"),
    ("rr", "0015_validate_user_fks_cascade"),
    ("rr", "0016_notifications"),
    ("rr", "0017_regret_client_id"),
    ("rr", "0018_routine"),
    ("rr", "0019_reminder_follows_offset"),
}

# Usernames today's rules reject but which must keep working (tests/legacy/snapshot/TABLES.md).
ODD_USERNAMES = [
    "Bob",
    "bob",
    "jane doe",
    "émilie",
    "o'brien",
    "x",
    "ünïcödé_用户",
    "trailing ",
    "tab\tname",
    "a" * 255,
]


@pytest.fixture(scope="module")
def takeover(legacy_snapshot):
    """A copy of the snapshot, migrated; with what django_migrations held before and migrate's output."""
    with pg.scratch_database("takeover", template=legacy_snapshot) as name:
        before = pg.applied_migrations(name)
        output = pg.manage(name, "migrate", "--noinput").stdout
        yield {"name": name, "before": before, "output": output}


@pytest.fixture(scope="module")
def fresh_install():
    with pg.scratch_database("fresh") as name:
        pg.manage(name, "migrate", "--noinput")
        yield name


def test_snapshot_is_the_legacy_database(legacy_snapshot):
    assert pg.fingerprint(legacy_snapshot) == pg.LEGACY_FINGERPRINT


def test_migrate_applies_only_the_networking_migrations(takeover):
    after = pg.applied_migrations(takeover["name"])
    assert takeover["before"] <= after, "a legacy django_migrations row disappeared"
    assert after - takeover["before"] == NETWORKING_MIGRATIONS
    applied = [line.split()[1] for line in takeover["output"].splitlines() if line.strip().startswith("Applying")]
    assert applied == [
        "rr.0004_networking...",
        "rr.0005_validate_user_count_constraints...",
        "rr.0006_user_username_upper_idx...",
        "rr.0007_accounts_sessions...",
        "rr.0008_checklist_local_date...",
        "rr.0009_social...",
        "rr.0010_validate_user_daily_goal...",
        "rr.0011_database_jit_off...",
        "rr.0012_checklist_user_days_idx...",
        "rr.0013_user_days...",
        "rr.0014_user_fks_cascade...",
        "rr.0015_validate_user_fks_cascade...",
        "rr.0016_notifications...",
        "rr.0017_regret_client_id...",
        "rr.0018_routine...",
        "rr.0019_reminder_follows_offset...",
    ]
    # token_blacklist 0009 is absent from the legacy table because simplejwt has none:
    # nothing to apply or fake.
    assert not list(Path(token_blacklist_migrations.__file__).parent.glob("0009_*"))
    assert not [row for row in after if row[0] == "token_blacklist" and row[1].startswith("0009")]


def test_migrate_keeps_every_legacy_row_and_value(takeover):
    assert pg.fingerprint(takeover["name"]) == pg.LEGACY_FINGERPRINT


def test_migrated_schema_equals_a_fresh_install(takeover, fresh_install):
    legacy, fresh = pg.schema_dump(takeover["name"]), pg.schema_dump(fresh_install)
    diff = "".join(difflib.unified_diff(fresh.splitlines(True), legacy.splitlines(True), "fresh", "legacy"))
    assert legacy == fresh, diff


def test_legacy_users_start_with_true_counts_and_networking_on(takeover):
    with pg.connect(takeover["name"]) as conn:
        assert conn.execute("SELECT count(*) FROM rr_network").fetchone() == (0,)
        rows = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE followers_count = 0 AND following_count = 0),"
            " count(*) FILTER (WHERE allow_networking) FROM rr_user"
        ).fetchone()
    assert rows == (256, 256, 256)


# Runs inside `manage.py shell` on the migrated database: load every user through the
# ORM, look each odd name up exactly, serve its checklists through the API.
ORM_PROBE = """
import json
from django.contrib.auth import authenticate
from django.test import Client
from rr.accounts.services import tokens_for
from rr.models import Checklist, User

names = json.loads(NAMES)
report = {"users": [[u.pk, u.username] for u in User.objects.order_by("pk")], "served": {}}
for name in names:
    user = User.objects.get(username=name)
    response = Client().get("/api/checklists/", HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
    report["served"][name] = [response.status_code, len(response.json()), Checklist.objects.filter(user=user).count()]
report["admin"] = authenticate(username="admin", password="legacy-admin-password") is not None
print(json.dumps(report))
"""


def test_legacy_users_load_through_the_orm_and_are_served(takeover):
    name = takeover["name"]
    probe = f"NAMES = {json.dumps(json.dumps(ODD_USERNAMES))}\n{ORM_PROBE}"
    served_over_http = {"ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "0"}
    result = pg.manage(name, "shell", "-c", probe, env=served_over_http)
    report = json.loads(result.stdout.strip().splitlines()[-1])

    with pg.connect(name) as conn:
        in_table = [list(row) for row in conn.execute("SELECT id, username FROM rr_user ORDER BY id")]
    assert report["users"] == in_table
    assert set(ODD_USERNAMES) <= {username for _, username in in_table}
    for username, (status, served, stored) in report["served"].items():
        assert (status, served) == (200, stored), username
    assert report["admin"], "the legacy admin password no longer authenticates"


def test_manage_check_passes_on_the_migrated_database(takeover):
    result = pg.manage(takeover["name"], "check", "--database", "default")
    assert "no issues" in result.stdout
