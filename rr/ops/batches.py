"""The repair commands' one way to write a batch of users under a bounded lock wait.

Used by rr/ops/counts.py and rr/ops/user_days.py: each batch is one transaction whose
lock waits stop at `lock_timeout` (so live writers wait at most that long behind it), and a
batch that met a held row is retried, later each time, up to `attempts` times.
"""

import logging
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import OperationalError, connection, transaction
from django.db.backends.utils import CursorWrapper
from psycopg.errors import LockNotAvailable

T = TypeVar("T")


def locked_batch(
    work: Callable[[CursorWrapper], T],
    ids: Sequence[int],
    *,
    lock_timeout: str,
    attempts: int,
    logger: logging.Logger,
    what: str,
    stalled: Exception,
) -> tuple[T, float]:
    """`(work(cursor), ms its transaction held its locks)`; `stalled` is raised when every attempt met a lock.

    `work(cursor)` runs inside the batch's transaction after `SET LOCAL lock_timeout`; only a
    lock timeout is retried (logged at WARNING on `logger`), any other error is raised.
    """
    for attempt in range(1, attempts + 1):
        started = time.perf_counter()
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
                result = work(cursor)
        except OperationalError as exc:
            if not isinstance(exc.__cause__, LockNotAvailable):
                raise
            logger.warning(f"{what} batch waited too long for a lock", extra={"first_id": ids[0], "attempt": attempt})
            time.sleep(0.2 * attempt)
            continue
        return result, (time.perf_counter() - started) * 1000
    raise stalled
