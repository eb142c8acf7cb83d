"""Test settings come from the environment like everywhere else; these are the test defaults.

A plugin loaded with `-p` (see pytest.ini), not a conftest: pytest-django imports the
settings before any conftest runs, so defaults set in a conftest came too late.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rr")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
