"""rr/common/migration_ops.py: what our migrations add to Django's own operations."""

import pytest
from django.apps import apps as global_apps
from django.db import connection, models
from django.db.migrations.state import ProjectState

from rr.common.migration_ops import AddIndexConcurrentlyRetryable

INDEX = "rr_user_test_leftover_idx"


def _index_state():
    return dict(
        _rows(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE c.relname = %s",
            [INDEX],
        )
    )


def _rows(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _apply(operation, backwards=False):
    before = ProjectState.from_apps(global_apps)
    after = before.clone()
    operation.state_forwards("rr", after)
    with connection.schema_editor(atomic=False) as editor:
        if backwards:
            operation.database_backwards("rr", editor, after, before)
        else:
            operation.database_forwards("rr", editor, before, after)


@pytest.mark.django_db(transaction=True)
def test_the_retryable_concurrent_index_sends_its_steps_in_order():
    operation = AddIndexConcurrentlyRetryable("user", models.Index(fields=["last_login"], name=INDEX))
    before = ProjectState.from_apps(global_apps)
    after = before.clone()
    operation.state_forwards("rr", after)
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        operation.database_forwards("rr", editor, before, after)

    assert [sql.rstrip(";") for sql in editor.collected_sql] == [
        "SET lock_timeout = '3s'",
        f'DROP INDEX CONCURRENTLY IF EXISTS "{INDEX}"',
        f'CREATE INDEX CONCURRENTLY "{INDEX}" ON "rr_user" ("last_login")',
        "RESET lock_timeout",
    ]
    assert operation.deconstruct()[2]["lock_timeout"] == "3s"


@pytest.mark.django_db(transaction=True)
def test_rerunning_after_a_failed_concurrent_build_replaces_its_invalid_leftover(make_user):
    make_user(), make_user()  # two users share is_staff = false: a unique index on it fails
    with pytest.raises(Exception, match="could not create unique index"):
        _rows(f'CREATE UNIQUE INDEX CONCURRENTLY "{INDEX}" ON rr_user (is_staff)')
    assert _index_state() == {INDEX: False}  # what a failed CONCURRENTLY build leaves

    operation = AddIndexConcurrentlyRetryable("user", models.Index(fields=["last_login"], name=INDEX))
    try:
        _apply(operation)
        assert _index_state() == {INDEX: True}
    finally:
        _apply(operation, backwards=True)
    assert _index_state() == {}
