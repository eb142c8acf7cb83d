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
            schema_editor.execute(
                f"ALTER TABLE {quote(model._meta.db_table)} VALIDATE CONSTRAINT {quote(self.name)}"
            )

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
