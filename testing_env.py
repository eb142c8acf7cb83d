"""Test settings come from the environment like everywhere else; these are the test defaults.

A plugin loaded with `-p` (see pytest.ini), not a conftest: pytest-django imports the
settings before any conftest runs, so defaults set in a conftest came too late.
"""

import os
import uuid

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rr")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# Redis is shared (REDIS_URL may name a database others use): this run's cache keys live under
# a prefix of its own, which the tests delete and nothing else (tests/support/cache.py).
# Processes the tests start inherit it through the environment.
os.environ["CACHE_KEY_PREFIX"] = f"rr_test_{uuid.uuid4().hex[:12]}"
# Fixtures build checklists on fixed past days (2025-06-19, ...) and tick them, as a user
# does on the day itself: days close in tests only where a test sets the grace itself
# (tests/checklists/test_day_close.py uses the production default). A century of grace.
os.environ.setdefault("DAY_CLOSE_GRACE_HOURS", str(24 * 365 * 100))
