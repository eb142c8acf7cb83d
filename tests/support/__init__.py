"""Helpers shared by tests (and tools) that need real, throw-away PostgreSQL databases.

- `tests.support.pg`: create/drop scratch databases named after the configured
  DATABASE_URL, load the legacy snapshot, run `manage.py` against a database in a
  subprocess, compute the legacy fingerprint, dump a normalised schema.
- `tests.support.locks`: measure how long a migration blocks a busy connection.
"""
