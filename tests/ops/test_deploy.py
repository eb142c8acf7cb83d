"""Production settings and the Render blueprint: check --deploy, render.yaml, gunicorn + whitenoise."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import yaml
from django.db import connection

from tests.support import pg

REPO = pg.REPO


def production_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="rr.example.com",
        SECURE_SSL_REDIRECT="1",
        NUM_PROXIES="1",
        DATABASE_URL=pg.configured_url(),
    )
    env.update(extra)
    return env


def manage(*args, env):
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_makemigrations_check_runs_with_no_environment_at_all():
    """A pre-commit hook runs it bare: no key, no database; serving commands still refuse."""
    bare = {"PATH": os.environ["PATH"]}
    result = manage("makemigrations", "--check", "--dry-run", env=bare)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    assert "Got an error checking a consistent migration history" not in result.stderr
    refused = manage("check", env=bare)
    assert refused.returncode != 0
    assert "SECRET_KEY must be set" in refused.stderr


def test_the_blueprint_migrates_before_serving_and_takes_every_setting_from_the_environment():
    blueprint = yaml.safe_load((REPO / "render.yaml").read_text())
    [web] = [s for s in blueprint["services"] if s["type"] == "web"]
    [cache] = [s for s in blueprint["services"] if s["type"] == "keyvalue"]
    [database] = blueprint["databases"]

    assert "collectstatic --noinput" in web["buildCommand"]
    assert web["preDeployCommand"] == "python manage.py migrate --noinput"
    assert web["startCommand"].startswith("gunicorn --config gunicorn.conf.py config.wsgi:application")
    assert web["healthCheckPath"] == "/health/"
    env = {v["key"]: v for v in web["envVars"]}
    assert env["DATABASE_URL"]["fromDatabase"] == {"name": database["name"], "property": "connectionString"}
    assert env["REDIS_URL"]["fromService"] == {
        "type": "keyvalue",
        "name": cache["name"],
        "property": "connectionString",
    }
    assert env["SECRET_KEY"] == {"key": "SECRET_KEY", "generateValue": True}
    assert env["ALLOWED_HOSTS"]["sync"] is False
    assert (env["SECURE_SSL_REDIRECT"]["value"], env["NUM_PROXIES"]["value"]) == ("1", "1")
    assert "DEBUG" not in env
    assert database["postgresMajorVersion"] == "15"
    assert env["VAPID_PRIVATE_KEY"]["sync"] is False and env["VAPID_SUBJECT"]["sync"] is False


def test_the_blueprint_sends_reminders_every_five_minutes():
    blueprint = yaml.safe_load((REPO / "render.yaml").read_text())
    [cron] = [s for s in blueprint["services"] if s["type"] == "cron"]
    [database] = blueprint["databases"]
    assert cron["schedule"] == "*/5 * * * *"
    assert cron["startCommand"] == "python manage.py send_reminders"
    env = {v["key"]: v for v in cron["envVars"]}
    assert env["DATABASE_URL"]["fromDatabase"] == {"name": database["name"], "property": "connectionString"}
    assert env["VAPID_PRIVATE_KEY"]["sync"] is False and env["VAPID_SUBJECT"]["sync"] is False


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url, host):
    request = urllib.request.Request(url, headers={"Host": host, "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.slow
@pytest.mark.django_db
def test_gunicorn_serves_the_app_and_whitenoise_the_static_files(tmp_path):
    # The server needs a database that exists: the test database (DATABASE_URL's own
    # database, `rr` under make test, need not exist at all).
    env = production_env(
        STATIC_ROOT=str(tmp_path / "static"),
        PORT=str(_free_port()),
        WEB_CONCURRENCY="1",
        DATABASE_URL=pg.database_url(connection.settings_dict["NAME"]),
    )
    (tmp_path / "static").mkdir()
    collected = manage("collectstatic", "--noinput", env=env)
    assert collected.returncode == 0, collected.stderr
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "config.wsgi:application"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, body = _get(f"{base}/health/", "10.0.0.1:10000")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        assert status == 200 and b'"database": "ok"' in body
        status, headers, _ = _get(f"{base}/static/admin/css/base.css", "rr.example.com")
        assert status == 200 and headers["Content-Type"].startswith("text/css")
        status, headers, _ = _get(f"{base}/api/checklists/", "rr.example.com")
        assert status == 401 and headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert '"logger": "gunicorn.error", "event": "Booting worker' in output
    assert '"event": "request"' in output


# A worker as gunicorn.conf.py's post_worker_init leaves it: run in a process of its own, as
# gunicorn would, so the freeze does not reach this one.
_WORKER_INIT = """
import gc, runpy, sys
import django
django.setup()
before = len(gc.get_objects())
runpy.run_path("gunicorn.conf.py")["post_worker_init"](None)
print(gc.get_freeze_count() >= before, len(gc.get_objects()) < before // 10, "rr.network.api" in sys.modules)
"""


def test_a_worker_imports_every_view_then_freezes_what_it_loaded_out_of_the_collectors_sight():
    done = subprocess.run(
        [sys.executable, "-c", _WORKER_INIT], cwd=REPO, env=production_env(), capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"]
