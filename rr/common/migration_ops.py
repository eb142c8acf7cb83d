"""What our migrations need beyond Django's own operations.

Django provides the rest (django.contrib.postgres.operations): AddConstraintNotValid
and ValidateConstraint for CHECKs on a large table, AddIndexConcurrently for indexes.
Two things it lacks are added here:

- RunInOneRoundTrip: several operations whose SQL PostgreSQL receives as one batch, so
  an ACCESS EXCLUSIVE lock taken by the first is not held across Django's Python work
  between them (0004);
- AddIndexConcurrentlyRetryable: AddIndexConcurrently that bounds its lock wait and
  drops the INVALID leftover of an earlier failed build first, so that running
  `migrate` again is the fix.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState
from django.db.models import Index


class RunInOneRoundTrip(migrations.operations.base.Operation):
    """Run several operations whose SQL PostgreSQL receives as one batch.

    Django does Python work (re-rendering model states) between operations, a few
    milliseconds each and more on a busy machine. When the first of them takes ACCESS
    EXCLUSIVE on a busy table, all that work is done with the table locked. Here the
    SQL of every operation is generated first, with no lock held, then sent at once, so
    the lock lasts only as long as the statements themselves. sqlmigrate prints the
    same SQL.
    """

    reduces_to_sql = True
    serialization_expand_args = ["operations"]

    def __init__(self, operations: Sequence[migrations.operations.base.Operation]) -> None:
        self.operations = operations

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {"operations": self.operations})

    @property
    def reversible(self) -> bool:  # type: ignore[override]  # Operation's is a class attribute
        return all(operation.reversible for operation in self.operations)

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        for operation in self.operations:
            operation.state_forwards(app_label, state)

    def _forwards(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState) -> None:
        for operation in self.operations:
            to_state = from_state.clone()
            operation.state_forwards(app_label, to_state)
            operation.database_forwards(app_label, schema_editor, from_state, to_state)
            from_state = to_state

    def _backwards(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, to_state: ProjectState) -> None:
        states = [to_state]
        for operation in self.operations:
            state = states[-1].clone()
            operation.state_forwards(app_label, state)
            states.append(state)
        for index in reversed(range(len(self.operations))):
            self.operations[index].database_backwards(app_label, schema_editor, states[index + 1], states[index])

    def _batched(self, schema_editor: BaseDatabaseSchemaEditor, generate: Callable[[], None]) -> None:
        if schema_editor.collect_sql:  # sqlmigrate: the statements are printed, not run
            return generate()
        schema_editor.collect_sql, schema_editor.collected_sql = True, []
        try:
            generate()
            batch = "\n".join(schema_editor.collected_sql)
        finally:
            schema_editor.collect_sql = False
            del schema_editor.collected_sql
        # params=None: the collected SQL is final, with every value already quoted.
        schema_editor.execute(batch, params=None)

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        self._batched(schema_editor, lambda: self._forwards(app_label, schema_editor, from_state))

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        self._batched(schema_editor, lambda: self._backwards(app_label, schema_editor, to_state))

    def describe(self) -> str:
        return "; ".join(operation.describe() for operation in self.operations) + " (one round trip)"


class AddIndexConcurrentlyRetryable(AddIndexConcurrently):
    """AddIndexConcurrently (SHARE UPDATE EXCLUSIVE: reads and writes go on) that can be rerun.

    A CONCURRENTLY build that fails (lock timeout, a cancelled statement, a duplicate in
    a unique index) leaves an INVALID index of that name behind, which would make the
    next attempt fail too; it is dropped first. `lock_timeout` bounds the waits for the
    table's lock at the start and end of the build, so a long transaction makes the
    migration fail (and be run again) instead of stalling the writes queued behind it.
    (0006, applied before this existed, writes the same steps as raw SQL.)
    """

    def __init__(self, model_name: str, index: Index, lock_timeout: str = "3s") -> None:
        super().__init__(model_name, index)
        self.lock_timeout = lock_timeout

    def deconstruct(self) -> tuple[str, Sequence[Any], dict[str, Any]]:
        name, args, kwargs = super().deconstruct()
        kwargs["lock_timeout"] = self.lock_timeout
        return name, args, kwargs

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        self._ensure_not_in_transaction(schema_editor)
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        schema_editor.execute(f"SET lock_timeout = {schema_editor.quote_value(self.lock_timeout)}")
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}")
        super().database_forwards(app_label, schema_editor, from_state, to_state)
        schema_editor.execute("RESET lock_timeout")

    def describe(self) -> str:
        return f"{super().describe()} (lock_timeout {self.lock_timeout}, replacing an INVALID leftover)"
