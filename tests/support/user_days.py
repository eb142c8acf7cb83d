"""The summary of days (rr_user_days) against its rule: what the tests of migration 0013 share."""

DRIFT_SQL = (
    "SELECT (SELECT row(d.*)::text FROM rr_user_days d WHERE d.user_id = %(u)s),"
    " (SELECT row(f.*)::text FROM rr_user_days_compute(ARRAY[%(u)s]::bigint[]) f)"
)


def days_drift(cursor, user_id):
    """None when the user's row is what rr_user_days_compute() says now, else (stored, computed)
    as text. `cursor`: Django's or psycopg's (a psycopg connection's execute works too)."""
    row = cursor.execute(DRIFT_SQL, {"u": user_id})
    stored, computed = (row if row is not None and hasattr(row, "fetchone") else cursor).fetchone()
    return None if stored == computed else (stored, computed)
