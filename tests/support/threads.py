"""The thread harness: real threads, each on its own database connection, that never hang a run.

Every wait has a limit. The limits only turn a hang into a failure; they measure nothing.
A thread that fails before its barrier aborts the barriers it was given, so the others
fail at once (threading.BrokenBarrierError) instead of waiting for a party that never comes;
a thread still running when the join limit is reached fails the run.

    start = barrier(4)
    errors = run_threads(4, lambda i: (start.wait(), work(i)), barriers=[start])
    assert errors == []
"""

import threading
import time

from django.db import connection

BARRIER_SECONDS = 60  # a barrier whose parties do not all arrive by then is broken
JOIN_SECONDS = 300  # the whole batch of threads; generous for a loaded 2-core machine


class ThreadsHung(AssertionError):
    """Threads were still running when the join limit was reached."""


def barrier(parties, timeout=BARRIER_SECONDS):
    """A threading.Barrier that breaks (instead of waiting forever) after `timeout` seconds."""
    return threading.Barrier(parties, timeout=timeout)


def join_all(threads, timeout=JOIN_SECONDS, barriers=()):
    """Join `threads` within `timeout` seconds in all; raise ThreadsHung for any still alive."""
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = [thread.name for thread in threads if thread.is_alive()]
    if alive:
        for each in barriers:
            each.abort()
        raise ThreadsHung(f"{len(alive)} thread(s) still running after {timeout} s: {alive}")


def pg_deadlocks():
    """pg_stat_database.deadlocks of the test database, with every flushed report counted.

    PostgreSQL 15 keeps statistics in shared memory, flushed by each backend when it
    goes idle (at most once a second) or exits. Connections that may have reported
    a deadlock call `flush_stats_and_close` first; this backend flushes its own
    pending figures, then drops its cached snapshot before reading.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def flush_stats_and_close():
    """End a worker thread's connection after its statistics reached shared memory.

    pg_stat_force_next_flush() makes the backend flush when it next goes idle, which
    happens before it answers the following statement.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT 1")
    connection.close()


def run_threads(count, work, *, barriers=(), timeout=JOIN_SECONDS):
    """Run work(i) in `count` threads, each on its own connection; the exceptions they raised.

    A thread that raises aborts `barriers` (the ones `work` waits on), so the other
    threads stop waiting for it; their BrokenBarrierError is collected too.
    """
    errors = []

    def body(i):
        try:
            work(i)
        except BaseException as exc:  # collected and asserted on by the caller
            errors.append(exc)
            for each in barriers:
                each.abort()
        try:
            flush_stats_and_close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    join_all(threads, timeout, barriers)
    return errors


def run_storm(count, work, *, barriers=()):
    """run_threads for a storm: (the exceptions raised, seconds taken, deadlocks PostgreSQL
    counted meanwhile)."""
    before = pg_deadlocks()
    started = time.monotonic()
    errors = run_threads(count, work, barriers=barriers)
    elapsed = time.monotonic() - started
    return errors, elapsed, pg_deadlocks() - before


def api_calls_at_once(calls, *, timeout=JOIN_SECONDS):
    """Run each (access token, method, url, body) in its own thread, all started by one
    barrier so that they really race; returns the responses in the order of `calls`.
    A call that raised fails the run with its exception."""
    # Imported here: bench/ uses this module's join outside of Django's settings.
    from tests.support.clients import client_with_token

    start = barrier(len(calls))
    responses = [None] * len(calls)

    def call(index):
        access, method, url, body = calls[index]
        client = client_with_token(access)
        start.wait()
        responses[index] = getattr(client, method)(url, body, format="json")

    errors = run_threads(len(calls), call, barriers=[start], timeout=timeout)
    if errors:
        raise errors[0]
    return responses


def in_thread(function):
    """Run `function` in a thread with its own database connection; returns (thread, outcome)
    for `joined`."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except BaseException as error:  # handed to the test, which re-raises it
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def joined(thread, outcome, timeout=BARRIER_SECONDS):
    """Wait (at most `timeout` seconds) for a thread of `in_thread`; its value, or its exception raised."""
    join_all([thread], timeout)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
