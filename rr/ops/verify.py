"""Post-deployment verification: what the hand checklist checked, as one command.

Each check reads the catalog or the data and answers OK or FAIL with a line of
detail. Nothing is left behind: the endpoint check works on throwaway users inside
a transaction that is always rolled back.
"""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http.request import validate_host
from django.test import Client

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.network import selectors as network_selectors
from rr.network import services as network_services
from rr.network.serializers import ENTRY_FIELDS
from rr.ops.counts import network_counts_drifting
from rr.ops.user_days import user_days_drifting

USER_COLUMNS = {
    # column: (type, default expression)
    "allow_networking": ("boolean", "true"),
    "followers_count": ("integer", "0"),
    "following_count": ("integer", "0"),
    "follow_approval": ("boolean", "false"),
    "daily_goal": ("numeric(5,4)", "0"),
}
USER_CHECKS = {
    "rr_user_followers_count_gte_0": "CHECK ((followers_count >= 0))",
    "rr_user_following_count_gte_0": "CHECK ((following_count >= 0))",
    "rr_user_daily_goal_0_1": "CHECK (((daily_goal >= (0)::numeric) AND (daily_goal <= (1)::numeric)))",
}
# The request, block and nudge tables (docs/NETWORK.md): table -> {constraint: (contype, definition)}.
REQUEST_BLOCK_NUDGE_CONSTRAINTS = {
    "rr_follow_request": {
        "rr_follow_request_unique_pair": ("u", "UNIQUE (requester_id, target_id)"),
        "rr_follow_request_no_self": ("c", "CHECK ((NOT (requester_id = target_id)))"),
    },
    "rr_block": {
        "rr_block_unique_pair": ("u", "UNIQUE (blocker_id, blocked_id)"),
        "rr_block_no_self": ("c", "CHECK ((NOT (blocker_id = blocked_id)))"),
    },
    "rr_nudge": {
        "rr_nudge_once_a_day": ("u", "UNIQUE (sender_id, recipient_id, local_date)"),
        "rr_nudge_no_self": ("c", "CHECK ((NOT (sender_id = recipient_id)))"),
    },
}

NETWORK_CONSTRAINTS = {
    "rr_network_unique_pair": ("u", "UNIQUE (follower_id, following_id)"),
    "rr_network_no_self_follow": ("c", "CHECK ((NOT (follower_id = following_id)))"),
}
INDEXES = {
    "rr_network_follower_idx": "(follower_id, id)",
    "rr_network_following_idx": "(following_id, id)",
    "rr_user_username_upper_idx": "(upper((username)::text))",
    # 0012: the list's streak fields and the history read it alone (docs/BENCHMARKS.md).
    "rr_checklist_user_days_idx": "(user_id, created_at, id) INCLUDE (local_date, utc_offset_minutes, score)",
}
# The tables of the previous release whose foreign keys to rr_user it deletes through its
# own collector: they may keep Django's NO ACTION. Every other table's must cascade in the
# database (migrations 0014/0015), or that release's deletion of a user fails.
LEGACY_USER_FK_TABLES = {
    "rr_checklist",
    "rr_user_groups",
    "rr_user_user_permissions",
    "django_admin_log",
    "token_blacklist_outstandingtoken",
}
NETWORK_TRIGGERS = {
    # name: definition as pg_get_triggerdef prints it (schema qualification removed)
    "rr_network_counts": "CREATE TRIGGER rr_network_counts AFTER INSERT OR DELETE OR UPDATE OF follower_id, following_id"
    " ON rr_network FOR EACH ROW EXECUTE FUNCTION rr_network_counts()",
    "rr_network_counts_truncate": "CREATE TRIGGER rr_network_counts_truncate AFTER TRUNCATE ON rr_network"
    " FOR EACH STATEMENT EXECUTE FUNCTION rr_network_counts_truncate()",
}


class CheckFailed(Exception):
    pass


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


def _rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _table_exists(name: str) -> bool:
    return _rows("SELECT to_regclass(%s) IS NOT NULL", [name])[0][0]


def check_user_columns() -> str:
    if not _table_exists("rr_user"):
        raise CheckFailed("table rr_user is missing")
    found = {
        name: (type_, not_null, default)
        for name, type_, not_null, default in _rows(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
            FROM pg_attribute a
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = 'rr_user'::regclass AND NOT a.attisdropped AND a.attname = ANY(%s)
            """,
            [list(USER_COLUMNS)],
        )
    }
    problems = []
    for column, (type_, default) in USER_COLUMNS.items():
        if column not in found:
            problems.append(f"{column} is missing")
            continue
        actual_type, not_null, actual_default = found[column]
        if actual_type != type_:
            problems.append(f"{column} is {actual_type}, expected {type_}")
        if not not_null:
            problems.append(f"{column} allows NULL")
        if actual_default != default:
            problems.append(f"{column} defaults to {actual_default}, expected {default}")
    if problems:
        raise CheckFailed("; ".join(problems))
    return ", ".join(USER_COLUMNS) + ": NOT NULL with database defaults"


def _constraint_problems(table: str, expected: dict[str, tuple[str, str]]) -> list[str]:
    """`expected`: name -> (contype, definition). Missing, different or NOT VALID ones."""
    found = {
        name: (contype, definition.removesuffix(" NOT VALID"), validated)
        for name, contype, definition, validated in _rows(
            """
            SELECT conname, contype, pg_get_constraintdef(oid), convalidated
            FROM pg_constraint WHERE conrelid = %s::regclass AND conname = ANY(%s)
            """,
            [table, list(expected)],
        )
    }
    problems = []
    for name, (contype, definition) in expected.items():
        if name not in found:
            problems.append(f"{name} is missing")
        elif found[name][:2] != (contype, definition):
            problems.append(f"{name} is {found[name][1]!r}, expected {definition!r}")
        elif not found[name][2]:
            problems.append(f"{name} is NOT VALID (run migrate)")
    return problems


def check_user_constraints() -> str:
    if not _table_exists("rr_user"):
        raise CheckFailed("table rr_user is missing")
    problems = _constraint_problems("rr_user", {name: ("c", sql) for name, sql in USER_CHECKS.items()})
    if problems:
        raise CheckFailed("; ".join(problems))
    return ", ".join(USER_CHECKS) + ": present and validated"


def check_network_table() -> str:
    if not _table_exists("rr_network"):
        raise CheckFailed("table rr_network is missing")
    problems = _constraint_problems("rr_network", NETWORK_CONSTRAINTS)
    if problems:
        raise CheckFailed("; ".join(problems))
    return "rr_network with its unique pair and no-self-follow, validated (its foreign keys: user foreign keys)"


def _expected_user_foreign_keys() -> set[tuple[str, str | None]]:
    """{(table, column)} of every foreign key to the user model the installed models declare."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    return {
        (model._meta.db_table, field.column)
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
        for field in model._meta.local_fields
        # many_to_one: a ForeignKey, which has db_constraint.
        if field.is_relation and field.many_to_one and field.db_constraint and field.related_model is user_model  # type: ignore[attr-defined]
    }


def check_user_foreign_keys() -> str:
    """Every foreign key to rr_user, found from the catalog (every table), against the models:
    each one present and validated; outside the previous release's tables
    (LEGACY_USER_FK_TABLES), ON DELETE CASCADE, so that release can still delete a user.

    Django names foreign keys with a hash (0013's with a suffix): they are found by what
    they are, not by name.
    """
    if not _table_exists("rr_user"):
        raise CheckFailed("table rr_user is missing")
    found: dict[tuple[str, str | None], list[tuple[str, bool]]] = {}
    for table, column, action, validated in _rows(
        """
        SELECT c.conrelid::regclass::text, a.attname, c.confdeltype, c.convalidated
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.confrelid = 'rr_user'::regclass AND cardinality(c.conkey) = 1
        """
    ):
        found.setdefault((table, column), []).append((action, validated))
    expected = _expected_user_foreign_keys()
    problems = []
    for table, column in sorted(expected | set(found)):
        name = f"{table}.{column} -> rr_user"
        constraints = found.get((table, column), [])
        if not constraints:
            problems.append(f"{name} is missing")
            continue
        if not all(validated for _, validated in constraints):
            problems.append(f"{name} is NOT VALID (run migrate)")
        if table not in LEGACY_USER_FK_TABLES and any(action != "c" for action, _ in constraints):
            problems.append(
                f"{name} does not cascade (the previous release's deletion of a user fails on it; migration 0015)"
            )
    if problems:
        raise CheckFailed("; ".join(problems))
    return (
        f"{len(found)} foreign keys to rr_user, each one of the models' and validated;"
        " those of the new tables ON DELETE CASCADE"
    )


def check_request_block_nudge_tables() -> str:
    """The request, block and nudge tables (docs/NETWORK.md) with their constraints, and no link or
    pending request between two users while either blocks the other."""
    problems = []
    for table, expected in REQUEST_BLOCK_NUDGE_CONSTRAINTS.items():
        if not _table_exists(table):
            problems.append(f"table {table} is missing")
        else:
            problems += _constraint_problems(table, expected)
    if problems:
        raise CheckFailed("; ".join(problems))
    crossing = network_selectors.across_blocks()
    found = [f"{n} {what}" for what, n in crossing.items() if n]
    if found:
        raise CheckFailed(
            " and ".join(found) + " cross a block (list them by joining rr_block with rr_network / rr_follow_request)"
        )
    return "rr_follow_request, rr_block, rr_nudge with their constraints; no link or pending request crosses a block"


def check_indexes() -> str:
    """The indexes the release needs exist as expected, and no index of any table is INVALID.

    An INVALID index is what a failed CREATE INDEX CONCURRENTLY (migration 0006) or
    REINDEX CONCURRENTLY leaves, on any table (the token blacklist's too): it is kept up
    to date by every write and used by no read.
    """
    if not _table_exists("rr_network"):
        raise CheckFailed("table rr_network is missing")
    found = {
        name: (definition, valid)
        for name, definition, valid in _rows(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid AND i.indisready
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relname IN ('rr_user', 'rr_checklist', 'rr_regret', 'rr_network')
            """
        )
    }
    problems = []
    for name, columns in INDEXES.items():
        if name not in found:
            problems.append(f"{name} is missing")
        elif not found[name][0].endswith(f"btree {columns}"):
            problems.append(f"{name} is {found[name][0]!r}, expected btree {columns}")
    for name, table in _rows(
        """
        SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE NOT (i.indisvalid AND i.indisready)
          AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
        ORDER BY 1
        """
    ):
        problems.append(f"{name} on {table} is INVALID (a failed concurrent build: drop it and run migrate)")
    if problems:
        raise CheckFailed("; ".join(problems))
    return ", ".join(INDEXES) + ": present; no invalid index on any table"


def check_network_triggers() -> str:
    if not _table_exists("rr_network"):
        raise CheckFailed("table rr_network is missing")
    found = {
        name: (enabled, definition.replace(" ON public.rr_network ", " ON rr_network "))
        for name, enabled, definition in _rows(
            """
            SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger
            WHERE tgrelid = 'rr_network'::regclass AND NOT tgisinternal
            """
        )
    }
    problems = []
    for name, definition in NETWORK_TRIGGERS.items():
        if name not in found:
            problems.append(f"{name} is missing (counts no longer follow rr_network: restore it, then repair counts)")
        elif found[name][1] != definition:
            problems.append(f"{name} is {found[name][1]!r}, expected {definition!r}")
        elif found[name][0] == "D":
            problems.append(f"{name} is disabled (ALTER TABLE rr_network ENABLE TRIGGER {name}; then repair counts)")
    if problems:
        raise CheckFailed("; ".join(problems))
    return "count triggers present, as defined, and enabled"


# Migration 0019's trigger: a reminder that follows the checklists' offset moves when a
# checklist is made at a new one (rr/migrations/0019_reminder_follows_offset.py).
REMINDER_TRIGGER = "rr_reminder_follow_offset"


def check_reminder_trigger() -> str:
    found = dict(
        _rows(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'rr_checklist'::regclass AND tgname = %s",
            [REMINDER_TRIGGER],
        )
    )
    if REMINDER_TRIGGER not in found:
        raise CheckFailed(f"{REMINDER_TRIGGER} on rr_checklist is missing (run migrate)")
    if found[REMINDER_TRIGGER] == "D":
        raise CheckFailed(
            f"{REMINDER_TRIGGER} is disabled (ALTER TABLE rr_checklist ENABLE TRIGGER {REMINDER_TRIGGER})"
        )
    return f"{REMINDER_TRIGGER} present and enabled: a travelling user's reminder follows their checklists"


# JIT compilation is off for this database (migration 0011, docs/BENCHMARKS.md). What a new
# session gets is the most specific of pg_db_role_setting's entries for (this database,
# this role), (any, this role), (this database, any), (any, any), then the server's file:
# an ALTER ROLE ... IN DATABASE ... SET jit = on wins over the database's jit = off.
_JIT_CATALOG_SQL = """
    SELECT split_part(config, '=', 2)
    FROM pg_db_role_setting s, unnest(s.setconfig) AS config
    WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
      AND s.setrole IN (0, (SELECT oid FROM pg_roles WHERE rolname = current_user))
      AND config LIKE 'jit=%%'
    ORDER BY (s.setrole <> 0) DESC, (s.setdatabase <> 0) DESC
    LIMIT 1
"""


_OFF = {"off", "false", "no", "0"}  # how a boolean setting may be stored


def _new_session_jit() -> str:
    """`jit` as a new session of the app's role (the `default` alias's) starts with it."""
    default = connections["default"]
    fresh = type(default)(dict(default.settings_dict), alias="verify_jit")
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SHOW jit")
            return cursor.fetchone()[0]
    finally:
        fresh.close()


def check_database_settings() -> str:
    """PostgreSQL's JIT compilation is off for the app's new sessions (0011 sets it for the
    database; only its owner can). Both the catalog's most specific setting for this role
    and database and a real new session are asked: a pooled session may predate a change."""
    catalog = (_rows(_JIT_CATALOG_SQL) or [(None,)])[0][0]
    session = _new_session_jit()
    if session != "off" or (catalog is not None and catalog.lower() not in _OFF):
        raise CheckFailed(
            f"jit is on for this database's new sessions of role {connection.settings_dict['USER']!r}"
            f" (most specific setting: {catalog or 'none'}, a new session: {session}): as the database's owner,"
            " ALTER DATABASE <name> SET jit = off, and ALTER ROLE <role> [IN DATABASE <name>] RESET jit"
            " (migration 0011 could not, a restore dropped it, or a role setting wins; docs/OPERATIONS.md)"
        )
    return "jit off for a new session of the app's role (migration 0011)"


def check_migrations() -> str:
    loader = MigrationExecutor(connection).loader
    graph, applied = loader.graph, loader.applied_migrations
    # Every migration of this release, not only the leaves: a row deleted from the
    # middle of django_migrations leaves the leaf "applied" but the schema incomplete.
    pending = sorted(key for key in graph.nodes if key not in applied)
    unknown = sorted(set(applied) - set(graph.nodes))
    problems = []
    if pending:
        problems.append("unapplied: " + ", ".join(f"{app}.{name}" for app, name in pending) + " (run migrate)")
    if unknown:
        problems.append("applied but unknown to this release: " + ", ".join(f"{a}.{n}" for a, n in unknown))
    if problems:
        raise CheckFailed("; ".join(problems))
    leaves = ", ".join(f"{app} {name}" for app, name in sorted(graph.leaf_nodes()) if app == "rr")
    return f"every app at its latest migration ({leaves})"


_TOTALS_SQL = """
    SELECT (SELECT count(*) FROM rr_network),
           (SELECT coalesce(sum(followers_count), 0) FROM rr_user),
           (SELECT coalesce(sum(following_count), 0) FROM rr_user)
"""
_REPAIR_HINT = "(manage.py initialize_network_counts --dry-run, then without --dry-run)"


def check_counts(sample: int | None = None) -> str:
    """Every user's counts equal rr_network; with `sample`, a random sample of users does, and
    so do the totals over all of them.

    A sample alone misses a drift it does not draw (one drifted user among a million is
    drawn once in fifty 20,000-user samples); the totals see any drift that does not
    cancel out, in one pass over each table instead of two look-ups per user.
    """
    problems = []
    if sample:
        links, followers, following = _rows(_TOTALS_SQL)[0]
        if followers != links or following != links:
            problems.append(
                f"the counts' totals differ from rr_network's {links} links: "
                f"followers {followers}, following {following} {_REPAIR_HINT}"
            )
    checked, differing = network_counts_drifting(sample=sample)
    scope = f"{checked} sampled users" if sample else f"all {checked} users"
    if differing:
        problems.append(f"{differing} of {scope} have counts that differ from rr_network {_REPAIR_HINT}")
    if problems:
        raise CheckFailed("; ".join(problems))
    return f"{scope}: counts equal rr_network" + (" (and the totals over all users)" if sample else "")


# Migration 0013's triggers, by table: each keeps rr_user_days exact for one kind of write.
USER_DAYS_TRIGGERS = {
    "rr_checklist": [
        "rr_user_days_checklists_inserted",
        "rr_user_days_checklists_deleted",
        "rr_user_days_checklist_updated",
        "rr_user_days_checklists_truncated",
    ],
    "rr_regret": [
        "rr_user_days_regrets_inserted",
        "rr_user_days_regrets_deleted",
        "rr_user_days_regret_moved",
        "rr_user_days_regrets_truncated",
    ],
    "rr_user": ["rr_user_days_goal_changed"],
}
_DAYS_REPAIR_HINT = "(manage.py initialize_user_days --dry-run, then without --dry-run)"


def check_user_days(sample: int | None = None) -> str:
    """The summary of days (rr_user_days) is kept by its triggers and equals the raw days:
    for every user, or for a random sample of about `sample` users."""
    if not _table_exists("rr_user_days"):
        raise CheckFailed("table rr_user_days is missing (run migrate)")
    found = dict(
        _rows(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = ANY(%s::regclass[]) AND NOT tgisinternal",
            [list(USER_DAYS_TRIGGERS)],
        )
    )
    problems = []
    for table, names in USER_DAYS_TRIGGERS.items():
        for name in names:
            if name not in found:
                problems.append(f"{name} on {table} is missing (run migrate, then {_DAYS_REPAIR_HINT})")
            elif found[name] == "D":
                problems.append(f"{name} is disabled (ALTER TABLE {table} ENABLE TRIGGER {name}; then repair)")
    checked, differing = user_days_drifting(sample=sample)
    scope = f"{checked} sampled users" if sample else f"all {checked} users"
    if differing:
        problems.append(
            f"{differing} of {scope} have a summary of days that differs from their checklists {_DAYS_REPAIR_HINT}"
        )
    if problems:
        raise CheckFailed("; ".join(problems))
    return f"{scope}: rr_user_days equals their checklists; its triggers present and enabled"


def _client_host() -> str:
    """A Host header the running settings accept, so the in-process requests are not refused."""
    allowed = settings.ALLOWED_HOSTS or ([".localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    for pattern in allowed:
        candidate = "localhost" if pattern == "*" else pattern.lstrip(".")
        if validate_host(candidate, allowed):
            return candidate
    raise CheckFailed("ALLOWED_HOSTS accepts no host name")


class _Api:
    """In-process HTTPS requests through the full middleware stack, as one user."""

    def __init__(self, host: str) -> None:
        self.client = Client(raise_request_exception=False, HTTP_HOST=host)
        self.request_id = f"verify-deployment-{uuid.uuid4().hex[:12]}"
        self.failures: list[str] = []

    def call(
        self, method: str, path: str, user: User | None = None, expect: int = 200, body: Any = None
    ) -> dict[str, Any]:
        headers = {"X-Request-ID": self.request_id}
        if user is not None:
            headers["Authorization"] = f"Bearer {account_services.tokens_for(user)['access']}"
        response = self.client.generic(
            method.upper(),
            path,
            data=json.dumps(body) if body is not None else "",
            content_type="application/json",
            secure=True,
            headers=headers,
        )
        try:
            data = json.loads(response.content or b"null")
        except ValueError:
            data = None
        if response.status_code != expect:
            self.failures.append(f"{method.upper()} {path} answered {response.status_code}, expected {expect}")
        elif expect >= 400 and not (isinstance(data, dict) and isinstance(data.get("error"), str)):
            self.failures.append(f"{method.upper()} {path} error body lacks 'error'")
        return data if isinstance(data, dict) else {}

    def expect(self, condition: object, message: str) -> None:
        if not condition:
            self.failures.append(message)


def _counts(user: User) -> tuple[int, ...]:
    return tuple(_rows("SELECT followers_count, following_count FROM rr_user WHERE id = %s", [user.pk])[0])


def check_endpoints() -> str:
    """Follow, list, settings and unfollow answer as specified, on throwaway users; rolled back."""
    api = _Api(_client_host())
    with transaction.atomic():
        tag = uuid.uuid4().hex[:10]
        actor, target, private = (account_services.account_create(username=f"vd_{tag}_{n}") for n in ("a", "b", "c"))
        network_services.networking_set(user=private, allow=False)
        base = "/api/network"

        api.call("get", f"{base}/validate/{target.username}/", expect=401)
        body = api.call("get", f"{base}/validate/{target.username}/", actor)
        api.expect(body.get("user_id") == target.pk and body.get("allow_networking") is True, "validate body wrong")
        api.call("get", f"{base}/validate/{actor.username}/", actor, expect=409)
        api.call("get", f"{base}/validate/{private.username}/", actor, expect=403)
        api.call("get", f"{base}/validate/vd_{tag}_none/", actor, expect=404)

        body = api.call("post", f"{base}/follow/{target.username}/", actor, expect=201)
        api.expect(
            {"message", "network_id", "following"} <= set(body)
            and (body.get("following") or {}).get("username") == target.username,
            "follow body wrong",
        )
        api.call("post", f"{base}/follow/{target.username}/", actor, expect=409)
        api.call("post", f"{base}/follow/{private.username}/", actor, expect=403)
        api.expect(_counts(actor) == (0, 1) and _counts(target) == (1, 0), "counts did not move with the follow")

        body = api.call("get", f"{base}/list/following/", actor)
        users = body.get("users") or [{}]
        api.expect(
            body.get("list_type") == "following" and body.get("count") == 1
            and users[0].get("username") == target.username and ENTRY_FIELDS == set(users[0])
            and users[0].get("regret_index") == -1,
            "following list wrong",
        )  # fmt: skip
        body = api.call("get", f"{base}/list/followers/", target)
        first = (body.get("users") or [{}])[0]
        api.expect(body.get("count") == 1 and first.get("id") == actor.pk, "followers list wrong")
        api.call("get", f"{base}/list/everyone/", actor, expect=400)

        body = api.call("get", f"{base}/settings/", actor)
        api.expect(body.get("allow_networking") is True, "settings body wrong")
        api.call("patch", f"{base}/settings/", actor, expect=400, body={"allow_networking": "yes"})
        body = api.call("patch", f"{base}/settings/", private, body={"allow_networking": True})
        api.expect(body.get("allow_networking") is True, "settings change not applied")

        api.call("delete", f"{base}/unfollow/{target.username}/", actor)
        api.call("delete", f"{base}/unfollow/{target.username}/", actor, expect=404)
        api.expect(_counts(actor) == (0, 0) and _counts(target) == (0, 0), "counts did not move with the unfollow")
        transaction.set_rollback(True)
    if api.failures:
        raise CheckFailed("; ".join(api.failures))
    return f"validate, follow, list, settings, unfollow answer as specified (request id {api.request_id}; rolled back)"


def deployment_verify(*, sample: int | None = None) -> list[CheckResult]:
    """Run every check; each in its own transaction, so one failure cannot hide the others."""
    checks = [
        ("user columns", check_user_columns),
        ("user constraints", check_user_constraints),
        ("network table", check_network_table),
        ("user foreign keys", check_user_foreign_keys),
        ("requests, blocks, nudges", check_request_block_nudge_tables),
        ("indexes", check_indexes),
        ("network triggers", check_network_triggers),
        ("reminder trigger", check_reminder_trigger),
        ("migrations", check_migrations),
        ("database settings", check_database_settings),
        ("counts", lambda: check_counts(sample)),
        ("user days", lambda: check_user_days(sample)),
        ("endpoints", check_endpoints),
    ]
    results: list[CheckResult] = []
    for name, check in checks:
        try:
            with transaction.atomic():
                detail = check()
            results.append(CheckResult(name, True, detail))
        except CheckFailed as exc:
            results.append(CheckResult(name, False, str(exc)))
        except DatabaseError as exc:
            results.append(CheckResult(name, False, f"database error: {str(exc).strip().splitlines()[0]}"))
    return results
