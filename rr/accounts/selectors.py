"""Reads of accounts."""

import functools
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router

from rr.accounts.models import Session, User
from rr.common.errors import NotFound

# What callers of user_by_username read; the other columns load on first access. In the
# model's column order (Model.from_db takes the values in that order). Hand-written SQL:
# every follow and unfollow starts with this look-up, and building the ORM query cost
# twice what running it does (docs/BENCHMARKS.md, benchmark 3).
_FIELDS = [
    field.attname
    for field in User._meta.concrete_fields
    if field.attname in {"id", "username", "is_active", "allow_networking", "follow_approval"}
]
_COLUMNS = ", ".join(_FIELDS)
_EXACT_SQL = f"SELECT {_COLUMNS} FROM rr_user WHERE username = %s"
# UPPER(username) is indexed (migration 0006) and is what sign-up compares (iexact).
# Two rows are enough to know the match is not unique.
_FOLDED_SQL = f"SELECT {_COLUMNS} FROM rr_user WHERE UPPER(username) = UPPER(%s)"


# user_by_username's rule (below) as one SQL expression, for a write that names its user by
# the path's name and finds them in its own round trip (rr.network.links.NAMED_USER_SQL):
# the id of the user called %(username)s, exactly, else of the one user with that name
# case-insensitively; NULL when there is no such user or several. Active or not (the caller
# decides). COALESCE runs the case-insensitive look-up only without an exact match; the
# expression is planned with every write that sends it (client-side binding), and plans
# faster than a UNION of the two look-ups. tests/accounts/test_selectors.py holds it to
# user_by_username.
USERNAME_ID_SQL = """COALESCE(
    (SELECT id FROM rr_user WHERE username = %(username)s),
    (SELECT CASE WHEN count(*) = 1 THEN min(folded.id) END
     FROM (SELECT id FROM rr_user WHERE UPPER(username) = UPPER(%(username)s) LIMIT 2) AS folded)
)"""


def user_by_username(*, username: str, active_only: bool = False) -> User:
    """The user called `username`, looked up the way sign-up compares names.

    An exact match first; else a case-insensitive match when exactly one user has it.
    Legacy `Bob` beside `bob` stay reachable by their exact names only: `BOB` names
    neither. The name is resolved first and `active_only` applied after, so an
    inactive `Bob` is not swapped for an active `bob`. One query when the exact name
    exists (the common case), two otherwise. Raises NotFound (`user_not_found`).
    """
    # Raw SQL bypasses the database router: ask it (validate may read from the replica).
    alias = router.db_for_read(User)
    with connections[alias].cursor() as cursor:
        cursor.execute(_EXACT_SQL, [username])
        rows = cursor.fetchall()
        if not rows:
            cursor.execute(_FOLDED_SQL + " LIMIT 2", [username])
            rows = cursor.fetchall()
    if len(rows) != 1:
        raise NotFound("No such user.", code="user_not_found")
    user = User.from_db(alias, _FIELDS, rows[0])
    if active_only and not user.is_active:
        raise NotFound("No such user.", code="user_not_found")
    return user


# What a request reads of its own user (request.user): every column but the admin's
# (is_staff, is_superuser: the admin signs in with a session, not a token) and
# last_login (read by the export alone); those load on first access. Hand-written like
# _EXACT_SQL: every authenticated request runs it, and User.objects.get() spent more
# client time building the query than the database took to answer it.
_REQUEST_USER_FIELDS = [
    field.attname
    for field in User._meta.concrete_fields
    if field.attname not in {"is_staff", "is_superuser", "last_login"}
]
# The token's session is checked in the same statement (no round trip of its own): the
# last column says whether it is live (Session.objects.live(), compiled once: its SQL is
# the one definition's; rr_session's primary key; a NULL id, a legacy token's, is never live).
_REQUEST_USER_SQL = (
    f"SELECT {', '.join(_REQUEST_USER_FIELDS)},"
    " EXISTS (SELECT 1 FROM ({live}) AS live WHERE live.pk = %s AND live.user_id = rr_user.id)"
    " FROM rr_user WHERE id = %s"
)


@functools.cache
def _request_user_sql() -> tuple[str, tuple[Any, ...]]:
    live, params = Session.objects.live().values("pk", "user_id").query.sql_with_params()
    return _REQUEST_USER_SQL.format(live=live), tuple(params)


def user_for_request(*, user_id: int, session_id: int | None = None) -> tuple[User | None, bool]:
    """(user, session live) for a request's access token: the user it names (None if there
    is none, active or not) and whether its session `session_id` still exists.

    Always on the primary, never the router's choice: a session is ended there (logout, a
    refresh replay, the admin, a password change), and a replica that has not replayed
    that yet would admit the ended session's token on its replica-routed views
    (tests/accounts/test_authentication_database.py)."""
    alias = DEFAULT_DB_ALIAS
    with connections[alias].cursor() as cursor:
        sql, live_params = _request_user_sql()
        cursor.execute(sql, [*live_params, session_id, user_id])
        row = cursor.fetchone()
    if row is None:
        return None, False
    return User.from_db(alias, _REQUEST_USER_FIELDS, row[:-1]), row[-1]
