"""0014/0015: the new tables' foreign keys to rr_user cascade, so the previous release can delete a user.

During the runbook's rollback window the previous release runs on this schema. Its
deletion of a user is Django's collector over the models it knows (the legacy tables
only): the user's follows, sessions, recovery codes, follow requests, blocks and nudges
are left to the database, which deletes them (ON DELETE CASCADE), the count trigger
moving the neighbours' counts. The previous release's models are rebuilt here from the
migration state it ran at (django_migrations in tests/legacy/snapshot/TABLES.md), so the
collector and its SQL, in its order, are that release's.
"""

import importlib
import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models.deletion import Collector
from django.test.utils import CaptureQueriesContext

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.network import services as network_services
from rr.notifications import services as notification_services
from tests.support import pg
from tests.support.counts import assert_counts_exact, counts
from tests.support.locks import fill_users, migration_trials

FIRST, LAST = "0014_user_fks_cascade", "0015_validate_user_fks_cascade"
BEFORE = importlib.import_module(f"rr.migrations.{FIRST}").Migration.dependencies[0][1]
USER_FKS = importlib.import_module(f"rr.migrations.{FIRST}").USER_FKS

# The previous release's migration state (tests/legacy/snapshot/TABLES.md).
LEGACY_STATE = [
    ("rr", "0003_alter_checklist_score"),
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
    ("admin", "0003_logentry_add_action_flag_choices"),
    ("sessions", "0001_initial"),
    ("sites", "0002_alter_domain_unique"),
    ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
]
LEGACY_TABLES = {
    "rr_user",
    "rr_checklist",
    "rr_regret",
    "rr_user_groups",
    "rr_user_user_permissions",
    "django_admin_log",
    "token_blacklist_outstandingtoken",
    "token_blacklist_blacklistedtoken",
}


def legacy_delete(user_id):
    """The previous release's `user.delete()` (its admin's, in one transaction); the SQL it sent."""
    legacy_apps = MigrationLoader(connection).project_state(LEGACY_STATE, at_end=True).apps
    legacy_user = legacy_apps.get_model("rr", "User")
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        collector = Collector(using="default", origin=None)
        collector.collect(legacy_user.objects.filter(pk=user_id))
        collector.delete()
    return [query["sql"] for query in captured.captured_queries]


def _tables(sql):
    return set(re.findall(r'(?:FROM|INTO|UPDATE|JOIN)\s+"(\w+)"', sql))


def a_well_connected_user(make_user, follow, checklist):
    """A user with follows both ways, sessions, a recovery code, blocks both ways, follow
    requests both ways, nudges both ways, a checklist with regrets; and their neighbours."""
    victim, a, b, c, d, e, f, g = (make_user() for _ in range(8))
    for follower, target in [(victim, a), (a, victim), (victim, b), (c, victim), (a, b)]:
        follow(follower, target)
    account_services.tokens_for(victim, user_agent="phone")
    account_services.tokens_for(victim, user_agent="laptop")
    account_services.recovery_code_issue(username=victim.username)
    network_services.block_create(user=victim, target=d)
    network_services.block_create(user=e, target=victim)
    network_services.follow_approval_set(user=f, on=True)
    network_services.network_follow(follower=victim, target=f)
    network_services.follow_approval_set(user=victim, on=True)
    network_services.network_follow(follower=g, target=victim)
    notification_services.nudge_send(sender=victim, recipient=a)
    notification_services.nudge_send(sender=a, recipient=victim)
    checklist(victim, datetime.now(UTC), total=2, resolved=1)
    return victim, (a, b, c)


def counts_report():
    out = StringIO()
    call_command("initialize_network_counts", "--dry-run", stdout=out)
    return out.getvalue()


def rows_of(user_id):
    """Rows anywhere that still name the user, by table (every foreign key to rr_user)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, a.attname FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " WHERE c.contype = 'f' AND c.confrelid = 'rr_user'::regclass"
        )
        left = {}
        for table, column in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" = %s', [user_id])
            found = cursor.fetchone()[0]
            if found:
                left[f"{table}.{column}"] = found
        return left


@pytest.mark.django_db(transaction=True)
def test_the_previous_releases_deletion_of_a_user_succeeds_and_keeps_the_counts_exact(make_user, follow, checklist):
    victim, (a, b, c) = a_well_connected_user(make_user, follow, checklist)
    assert counts(a, b, c) == [(1, 2), (2, 0), (0, 1)]

    sent = legacy_delete(victim.pk)  # commits: the deferred foreign keys are checked

    # Its collector named only the legacy tables and deleted the user last.
    assert set().union(*map(_tables, sent)) <= LEGACY_TABLES
    deletes = [sql for sql in sent if sql.startswith("DELETE")]
    assert deletes[-1].startswith('DELETE FROM "rr_user"'), sent
    assert not User.objects.filter(pk=victim.pk).exists()
    assert rows_of(victim.pk) == {}
    assert counts(a, b, c) == [(0, 1), (1, 0), (0, 0)]
    assert_counts_exact()
    report = counts_report()
    assert "Users whose counts differ: 0." in report, report
    assert "Across a block (rr_block): 0 link(s), 0 pending request(s)." in report, report


@pytest.mark.django_db(transaction=True)
def test_this_releases_deletion_of_the_same_user_stays_exact(make_user, follow, checklist):
    victim, (a, b, c) = a_well_connected_user(make_user, follow, checklist)

    account_services.user_delete(user=victim)

    assert rows_of(victim.pk) == {}
    assert counts(a, b, c) == [(0, 1), (1, 0), (0, 0)]
    assert "Users whose counts differ: 0." in counts_report()


@pytest.mark.django_db
def test_every_new_tables_foreign_key_to_rr_user_cascades_and_the_legacy_ones_do_not():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, a.attname, c.confdeltype, c.convalidated FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " WHERE c.contype = 'f' AND c.confrelid = 'rr_user'::regclass"
        )
        found = {(table, column): (action, valid) for table, column, action, valid in cursor.fetchall()}

    cascading = {key for key, (action, _) in found.items() if action == "c"}
    assert {(t, c) for t, c, _ in USER_FKS} <= cascading
    # The legacy five (checklists, groups, permissions, admin log, tokens) are the only others.
    assert {table for table, _ in set(found) - cascading} == LEGACY_TABLES - {
        "rr_user",
        "rr_regret",
        "token_blacklist_blacklistedtoken",
    }
    assert all(valid for _, valid in found.values())


def test_rollback_to_the_schema_before_and_forward_again(upgraded_legacy, upgraded_template):
    with pg.legacy_database("fk_cascade_before") as before:
        pg.manage(before, "migrate", "rr", BEFORE, "--noinput")
        before_schema = pg.schema_dump(before)
    with pg.connect(upgraded_legacy) as conn:
        conn.execute("INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (1, 2, now())")
        conn.execute("INSERT INTO rr_block (blocker_id, blocked_id, created_at) VALUES (3, 4, now())")

    pg.manage(upgraded_legacy, "migrate", "rr", BEFORE, "--noinput")

    assert pg.schema_dump(upgraded_legacy) == before_schema
    assert not pg.applied_migrations(upgraded_legacy) & {("rr", FIRST), ("rr", LAST)}
    assert pg.fingerprint(upgraded_legacy) == pg.LEGACY_FINGERPRINT
    with pg.connect(upgraded_legacy) as conn:
        assert conn.execute("SELECT count(*) FROM rr_network").fetchone() == (1,)

    pg.manage(upgraded_legacy, "migrate", "--noinput")

    assert pg.schema_dump(upgraded_legacy) == upgraded_template.schema


USERS = 1_000_000
TARGET = 0.050  # seconds beyond the noise floor (see test_big_table_lock.py for the method)
TRIALS = 3


@pytest.mark.slow
def test_0014_0015_barely_block_a_busy_million_row_rr_user():
    """Our migrations alone, from the one before them, on 1,000,000 users under reads and writes."""
    with pg.scratch_database("fk_cascade_big") as filled:
        pg.manage(filled, "migrate", "rr", BEFORE, "--noinput")
        fill_users(filled, USERS)
        with pg.connect(filled) as conn:  # some rows for VALIDATE to scan
            conn.execute(
                "INSERT INTO rr_network (follower_id, following_id, created_at)"
                " SELECT id, id + 1, now() FROM rr_user WHERE id % 10 = 0 AND id < 200000"
            )
            conn.execute("VACUUM (ANALYZE) rr_user")
        migration_trials(filled, "fk_cascade_big", FIRST, LAST, trials=TRIALS, target=TARGET)
