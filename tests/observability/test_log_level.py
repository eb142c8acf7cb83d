"""LOG_LEVEL in any case, for manage.py and gunicorn alike; a bad value names the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from rr.common.logging import log_level

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(command, level):
    env = {**os.environ, "LOG_LEVEL": level, "SECRET_KEY": "a-key-for-this-check-only-0123456789abcdefghij"}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


MANAGE = [sys.executable, "manage.py", "check"]
GUNICORN = [str(BIN / "gunicorn"), "--check-config", "--config", "gunicorn.conf.py", "config.wsgi:application"]


@pytest.mark.parametrize("command", [MANAGE, GUNICORN], ids=["manage.py", "gunicorn"])
@pytest.mark.parametrize("level", ["warning", "Warning", " ERROR "])
def test_any_case_starts(command, level):
    result = _run(command, level)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("command", [MANAGE, GUNICORN], ids=["manage.py", "gunicorn"])
def test_a_bad_value_stops_start_up_naming_the_variable(command):
    result = _run(command, "loud")
    assert result.returncode != 0
    assert "LOG_LEVEL='loud' is not a log level: use one of debug, info, warning" in result.stderr


def test_the_reading():
    assert log_level({}) == "INFO"
    assert log_level({"LOG_LEVEL": "debug"}) == "DEBUG"
    with pytest.raises(ImproperlyConfigured, match="LOG_LEVEL=''"):
        log_level({"LOG_LEVEL": ""})
