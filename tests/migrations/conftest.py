from types import SimpleNamespace

import pytest

from tests.support import pg


@pytest.fixture(scope="session")
def upgraded_template():
    """The legacy snapshot migrated to the latest migration, once per session; clone it, never change it.

    Carries the schema dumps from before (`legacy_schema`) and after (`schema`) the migration.
    """
    with pg.legacy_database("upgraded") as name:
        legacy_schema = pg.schema_dump(name)
        pg.manage(name, "migrate", "--noinput")
        yield SimpleNamespace(name=name, legacy_schema=legacy_schema, schema=pg.schema_dump(name))


@pytest.fixture
def upgraded_legacy(upgraded_template):
    """A private copy of the upgraded legacy database; its name."""
    with pg.scratch_database("upgraded_copy", template=upgraded_template.name) as name:
        yield name
