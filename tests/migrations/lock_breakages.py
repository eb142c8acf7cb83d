"""Deliberate breakages of 0004's lock discipline, applied in the migrating process
(`pg.manage(..., patch="tests.migrations.lock_breakages:<name>")`), so that
test_big_table_lock.py shows its assertion catches them."""


def checks_validated():
    """0004's count CHECKs added validated: a full scan of rr_user under ACCESS EXCLUSIVE."""
    from django.contrib.postgres import operations
    from django.db import migrations

    operations.AddConstraintNotValid.database_forwards = migrations.AddConstraint.database_forwards


def batching_off():
    """0004's rr_user statements sent one by one, Django's Python work between them under the lock."""
    from rr.common import migration_ops

    migration_ops.RunInOneRoundTrip._batched = lambda self, schema_editor, generate: generate()
