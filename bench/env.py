"""Where the benchmarks run: databases of their own, a Redis database of their own, bench settings.

Every database a benchmark creates is `<BENCH_DATABASE_URL's name>_<suffix>` (so
`rr_bench_app`, `rr_bench_counts_100k`, ... by default) on BENCH_DATABASE_URL's
server, through the scratch-database helpers of `tests.support.pg`. Each run drops
and recreates them, so engineers sharing one server never touch each other's data.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
PYTHON = sys.executable

DEFAULT_BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/rr_bench"
DEFAULT_BENCH_REDIS_URL = "redis://127.0.0.1:6379/5"

# Rate limits are lifted: the benchmarks measure the work, not the limiter's 429s.
UNLIMITED = "100000000/minute"


def bench_database_url():
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_BENCH_DATABASE_URL


def bench_redis_url():
    return os.environ.get("BENCH_REDIS_URL") or DEFAULT_BENCH_REDIS_URL


def use_bench_server():
    """Point `tests.support.pg` (which names scratch databases after DATABASE_URL) at the bench server."""
    url = bench_database_url()
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"BENCH_DATABASE_URL must be a PostgreSQL URL, not {url!r}")
    os.environ["DATABASE_URL"] = url


def app_settings_env(database_url):
    """The environment of the application under benchmark (in-process, gunicorn, manage.py).

    Production settings (DEBUG off, JSON request logs at INFO, Redis cache), except
    that rate limits are lifted and there is no TLS in front, so no HTTPS redirect.
    """
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": bench_redis_url(),
        "CACHE_KEY_PREFIX": "rr_bench",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-never-used-in-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "RATE_FOLLOW": UNLIMITED,
        "RATE_NETWORK_LIST": UNLIMITED,
        "RATE_SIGNUP": UNLIMITED,
        "RATE_LOGIN": UNLIMITED,
        "RATE_LOGIN_ADDRESS": UNLIMITED,
        "RATE_LOGIN_NAME": UNLIMITED,
        "RATE_LOGIN_NAME_CEILING": UNLIMITED,
        "RATE_PASSWORD_GUESS": UNLIMITED,
        "JWT_ACCESS_MINUTES": "240",
        # Each gunicorn worker keeps its connection for the whole run (production: 60 s),
        # so the PostgreSQL backends measured for CPU stay the same processes.
        "DB_CONN_MAX_AGE": "900",
        "LOG_LEVEL": "INFO",
    }
