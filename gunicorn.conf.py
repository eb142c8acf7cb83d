"""gunicorn settings for production (render.yaml's startCommand); everything from the environment."""

import ctypes
import gc
import os

from django.urls import get_resolver

from rr.common.logging import log_level

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Finish in-flight requests on deploys and restarts (Render waits up to 30 s by default).
graceful_timeout = 25
keepalive = 5
# Recycle workers now and then so a slow leak never grows unbounded.
max_requests = 2000
max_requests_jitter = 200

# Django's request middleware logs one JSON line per request; gunicorn's own access
# log would only repeat it. gunicorn's error log (start, stop, worker timeouts) goes
# out as JSON too, so one parser reads everything.
accesslog = None
# LOG_LEVEL read as manage.py reads it (any case; a bad value stops start-up naming it).
loglevel = log_level(os.environ).lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "rr.common.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": [], "propagate": False},
    },
}

# gunicorn's control socket (a fixed path under $HOME) is not used on Render, and two
# servers on one machine would fight over it.
control_socket_disable = True


def _return_large_allocations_to_the_system():
    """Large blocks (over 128 KiB) are mapped for each use and unmapped when freed.

    glibc raises its mmap threshold to the size of the largest block freed so far, so
    after the first password check each argon2 working area (19 MiB, rr/accounts/hashers.py)
    comes from the heap and stays resident: a worker grew from 91 to 120 MiB under load.
    A fixed threshold turns that dynamic raise off. Set in the master, inherited by every
    worker it forks; nothing to do where the C library is not glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_mmap_threshold = -3  # glibc's <malloc.h>
    libc.mallopt(m_mmap_threshold, 128 * 1024)


_return_large_allocations_to_the_system()


def post_worker_init(worker: object) -> None:
    """After a worker has loaded the app: its URLs resolved once (every view imported), then
    every object alive moved out of the garbage collector's sight (gc.freeze()).

    A request leaves reference cycles behind (DRF's response and view refer to each other),
    freed only by a full collection, and CPython runs one only when the objects promoted
    since the last reach a quarter of all long-lived ones: with the app's ~170,000 start-up
    objects counted, a worker serving lists of 1,000 held many past responses and grew from
    96 to about 250 MiB (docs/BENCHMARKS.md, worker memory). Frozen, the start-up objects no
    longer count and are no longer walked by each full collection (tests/ops/test_deploy.py).
    """
    get_resolver().url_patterns  # noqa: B018 (imports every URLconf and view)
    gc.freeze()
