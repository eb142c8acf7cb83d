from django.conf import settings
from django.db import connection, connections

# Namespaces for pg_advisory_xact_lock(namespace, key).
LOCK_USERNAME = 1
LOCK_CHECKLIST_DAY = 2
# 3 is rr.notifications.services.LOCK_NUDGE_SENDER.
LOCK_ROUTINE = 4


def advisory_xact_lock(namespace: int, key: int | str) -> None:
    """Hold a PostgreSQL advisory lock until the transaction ends."""
    with connection.cursor() as cursor:
        if isinstance(key, str):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [namespace, key])
        else:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, (%s %% 2147483647)::int)", [namespace, key])


def use_direct_database() -> bool:
    """Point this process's `default` alias at DIRECT_DATABASE_URL (the `direct` alias), if set.

    For commands that need a session of their own or run long (migrate,
    initialize_network_counts): through a transaction pooler they would hold a pooled
    server connection for minutes, and a migration's session settings could reach other
    clients. Call before the command's first query; True when the direct URL is in use.
    """
    if "direct" not in settings.DATABASES:
        return False
    default = connections["default"]
    default.close()
    default.settings_dict = connections["direct"].settings_dict
    return True
