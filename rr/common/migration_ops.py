"""Migration operations for changing a large, live PostgreSQL table without long locks."""

from django.db import migrations, models


class AddCheckConstraintNotValid(migrations.AddConstraint):
    """AddConstraint that, on PostgreSQL, skips the full-table scan under ACCESS EXCLUSIVE.

    The constraint is added NOT VALID (it binds new rows at once) and must be
    followed by ValidateConstraint, which scans under SHARE UPDATE EXCLUSIVE and
    so blocks neither reads nor writes. Elsewhere (SQLite) it is a plain AddConstraint.
    """

    def __init__(self, model_name, constraint):
        # Only CHECK constraints take NOT VALID; a UNIQUE one would get invalid SQL.
        if not isinstance(constraint, models.CheckConstraint):
            raise TypeError(f"{type(self).__name__} takes a CheckConstraint, not {constraint!r}")
        super().__init__(model_name, constraint)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            statement = self.constraint.create_sql(model, schema_editor)
            schema_editor.execute(f"{statement} NOT VALID")

    def describe(self):
        return f"{super().describe()} (NOT VALID)"


class ValidateConstraint(migrations.operations.base.Operation):
    """Validate a NOT VALID constraint on PostgreSQL; nothing to do elsewhere."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name, name):
        self.model_name = model_name
        self.name = name

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            quote = schema_editor.quote_name
            schema_editor.execute(f"ALTER TABLE {quote(model._meta.db_table)} VALIDATE CONSTRAINT {quote(self.name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return f"Validate constraint {self.name} on {self.model_name}"

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {"model_name": self.model_name, "name": self.name})


class VendorSQL(migrations.RunSQL):
    """RunSQL that runs only on one database vendor (triggers differ per dialect)."""

    def __init__(self, vendor, sql, reverse_sql=None, **kwargs):
        self.vendor = vendor
        super().__init__(sql, reverse_sql, **kwargs)

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        kwargs["vendor"] = self.vendor
        return name, args, kwargs

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class RunInOneRoundTrip(migrations.operations.base.Operation):
    """Run several operations whose SQL PostgreSQL receives as one batch.

    Django does Python work (re-rendering model states) between operations, a few
    milliseconds each and more on a busy machine. When the first of them takes ACCESS
    EXCLUSIVE on a busy table, all that work is done with the table locked. Here the
    SQL of every operation is generated first, with no lock held, then sent at once, so
    the lock lasts only as long as the statements themselves. sqlmigrate prints the
    same SQL; elsewhere (SQLite) the operations simply run one after the other.
    """

    reduces_to_sql = True
    serialization_expand_args = ["operations"]

    def __init__(self, operations):
        self.operations = operations

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {"operations": self.operations})

    @property
    def reversible(self):
        return all(operation.reversible for operation in self.operations)

    def state_forwards(self, app_label, state):
        for operation in self.operations:
            operation.state_forwards(app_label, state)

    def _forwards(self, app_label, schema_editor, from_state):
        for operation in self.operations:
            to_state = from_state.clone()
            operation.state_forwards(app_label, to_state)
            operation.database_forwards(app_label, schema_editor, from_state, to_state)
            from_state = to_state

    def _backwards(self, app_label, schema_editor, to_state):
        states = [to_state]
        for operation in self.operations:
            state = states[-1].clone()
            operation.state_forwards(app_label, state)
            states.append(state)
        for index in reversed(range(len(self.operations))):
            self.operations[index].database_backwards(app_label, schema_editor, states[index + 1], states[index])

    def _batched(self, schema_editor, generate):
        if schema_editor.connection.vendor != "postgresql" or schema_editor.collect_sql:
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

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._batched(schema_editor, lambda: self._forwards(app_label, schema_editor, from_state))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._batched(schema_editor, lambda: self._backwards(app_label, schema_editor, to_state))

    def describe(self):
        return "; ".join(operation.describe() for operation in self.operations) + " (one round trip)"
