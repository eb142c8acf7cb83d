"""The generated TypeScript client, compiled by tsc (make client), against a live gunicorn:
sign-up, the routine, today's checklist started with it, a regret: tick (twice), undo, reword, remove,
a follow (twice), a nudge and the friend's inbox."""

import subprocess

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_typescript_client_drives_a_live_server(client_dir, live_server_factory):
    server = live_server_factory()

    result = subprocess.run(
        ["node", str(client_dir / "dist" / "smoke.js"), server.url], capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stdout + result.stderr + server.log_tail()
    steps = [line for line in result.stdout.splitlines() if line.startswith("ok ")]
    assert len(steps) == 17 and result.stdout.rstrip().endswith("all steps passed"), result.stdout
