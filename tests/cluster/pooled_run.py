"""pytest plugin for the endpoint tests' run through the pooler (`-p tests.cluster.pooled_run`).

Leaves out the white-box lock tests: they read a backend's pid (pg_backend_pid) and wait
for that backend in pg_stat_activity, or SET a session parameter on the test's own
connection. Through a transaction pooler a client has no fixed backend, so they cannot
work there (and their SET would reach other clients); they run against the server
directly in the rest of `make test`. So are the on-the-wire statement counts
(tests/accounts/test_lifecycle.py): they put a counting proxy in front of the configured
server, which here is the pooler, and pin what Django sends to PostgreSQL itself. Every
other selected test runs through the pooler.
"""

import inspect

SESSION_BOUND = (
    "pg_backend_pid",
    "SET deadlock_timeout",
    "SET lock_timeout",
    "SET statement_timeout",
    "_statements_at_the_database",
)


def _session_bound(item):
    function = getattr(item, "function", None)
    try:
        source = inspect.getsource(function) if function is not None else ""
    except (OSError, TypeError):
        return False
    return any(marker in source for marker in SESSION_BOUND)


def pytest_collection_modifyitems(config, items):
    bound = [item for item in items if _session_bound(item)]
    if bound:
        config.hook.pytest_deselected(items=bound)
        items[:] = [item for item in items if item not in bound]
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            names = ", ".join(item.nodeid for item in bound)
            reporter.write_line(f"pooled run: {len(bound)} session-bound lock test(s) left out: {names}")
