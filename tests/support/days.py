"""Dates relative to the UTC day the test runs on (the `day` fixture of tests/conftest.py takes them)."""

from datetime import UTC, datetime, timedelta


def utc_today():
    return datetime.now(UTC).date()


def days_ago(n):
    return utc_today() - timedelta(days=n)
