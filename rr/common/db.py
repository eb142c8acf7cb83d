from django.db import connection

# Namespaces for pg_advisory_xact_lock(namespace, key).
LOCK_USERNAME = 1
LOCK_CHECKLIST_DAY = 2


def advisory_xact_lock(namespace, key):
    """Hold a PostgreSQL advisory lock until the transaction ends (SQLite serialises writers anyway)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if isinstance(key, str):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [namespace, key])
        else:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, (%s %% 2147483647)::int)", [namespace, key])
