"""verify_deployment's checks of the pooler, the direct URL and the replica (docs/SCALING.md)."""

from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections

from rr.common.routers import replica_state
from rr.ops.verify import CheckResult

_IDENTITY_SQL = "SELECT (SELECT system_identifier FROM pg_control_system()), current_database(), pg_is_in_recovery()"


def _identity(alias: str) -> tuple[Any, ...]:
    with connections[alias].cursor() as cursor:
        cursor.execute(_IDENTITY_SQL)
        return cursor.fetchone()


def cluster_checks() -> list[CheckResult]:
    """[(name, ok, detail)] for what is configured: nothing when there is one plain server."""
    results: list[CheckResult] = []
    databases = settings.DATABASES
    pooled = settings.DATABASE_POOL_MODE == "transaction"
    if pooled:
        default = databases["default"]
        problems = []
        if default.get("OPTIONS", {}).get("prepare_threshold", 0) is not None:
            problems.append("prepared statements are on")
        if not default.get("DISABLE_SERVER_SIDE_CURSORS"):
            problems.append("server-side cursors are on")
        if "direct" not in databases:
            problems.append("DIRECT_DATABASE_URL is unset (migrations and repairs would go through the pooler)")
        results.append(
            CheckResult(
                "pooler",
                not problems,
                "; ".join(problems) or "transaction pooling: no prepared statements, no server-side cursors",
            )
        )
    if "direct" in databases:
        try:
            pooler, direct = _identity("default"), _identity("direct")
        except DatabaseError as exc:
            results.append(CheckResult("direct_url", False, f"unreachable: {str(exc).strip()[:200]}"))
        else:
            same = pooler[:2] == direct[:2] and not direct[2]
            detail = f"database {direct[1]} on system {direct[0]}" if same else f"{pooler[:2]} vs {direct[:2]}"
            results.append(
                CheckResult("direct_url", same, ("same primary: " if same else "not the same primary: ") + detail)
            )
    if "replica" in databases:
        try:
            primary, replica = _identity("default"), _identity("replica")
        except DatabaseError as exc:
            results.append(CheckResult("replica", False, f"unreachable: {str(exc).strip()[:200]}"))
        else:
            state, lag = replica_state.current(force=True)
            if replica[0] != primary[0] or not replica[2]:
                results.append(CheckResult("replica", False, f"not a standby of the primary: {replica} vs {primary}"))
            else:
                lag_text = "unknown" if lag is None else f"{lag:.1f} s"
                limit = settings.REPLICA_MAX_LAG_SECONDS
                results.append(
                    CheckResult("replica", True, f"streaming standby, {state}, lag {lag_text} (max {limit:g} s)")
                )
    return results
