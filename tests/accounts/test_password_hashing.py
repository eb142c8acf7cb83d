"""Passwords are hashed with argon2id at OWASP's configuration (rr/accounts/hashers.py);
hashes made otherwise (the previous release's PBKDF2) are replaced at the next login.

The suite's other tests put a fast hasher first (tests/conftest.py); these use the
production list from config/settings.py.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2PasswordHasher
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher, make_password

from config.settings import PASSWORD_HASHERS
from rr.accounts.hashers import Argon2PasswordHasher
from rr.accounts.models import User

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]

PASSWORD = "a sturdy passphrase 42"
# OWASP Password Storage Cheat Sheet, argon2id: at least 19 MiB, 2 iterations, 1 lane.
OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME, OWASP_PARALLELISM = 19 * 1024, 2, 1


@pytest.fixture(autouse=True)
def _production_hashers(settings):
    settings.PASSWORD_HASHERS = PASSWORD_HASHERS


def _login(api, username, password):
    return api.post("/auth/user/", {"username": username, "password": password}, format="json")


def test_production_hashes_with_argon2id_no_cheaper_than_owasp_s_minimum():
    assert PASSWORD_HASHERS[0] == "rr.accounts.hashers.Argon2PasswordHasher"
    hasher = identify_hasher(make_password(PASSWORD))
    assert isinstance(hasher, Argon2PasswordHasher)
    params = hasher.decode(make_password(PASSWORD))["params"]
    assert params.type.name == "ID"
    assert params.memory_cost >= OWASP_MIN_MEMORY_KIB
    assert params.time_cost >= OWASP_MIN_TIME
    assert params.parallelism == OWASP_PARALLELISM


def test_a_new_account_s_password_is_stored_as_argon2id(api):
    response = api.post("/auth/user/", {"username": "ada", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    stored = User.objects.get(username="ada").password
    assert stored.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_legacy_pbkdf2_hash_logs_in_and_is_replaced_by_argon2id(api):
    # As the previous release stored it: Django's PBKDF2-SHA256 (its iteration count then).
    legacy = PBKDF2PasswordHasher().encode(PASSWORD, "legacysalt1234567890", iterations=260000)
    user = User.objects.create(username="lin", password=legacy)

    response = _login(api, "lin", PASSWORD)

    assert response.status_code == 200, response.json()
    stored = User.objects.get(pk=user.pk).password
    assert stored != legacy
    assert isinstance(identify_hasher(stored), Argon2PasswordHasher)
    assert _login(api, "lin", PASSWORD).status_code == 200


def test_a_wrong_password_leaves_the_legacy_hash_as_it_was(api):
    legacy = PBKDF2PasswordHasher().encode(PASSWORD, "legacysalt1234567890", iterations=260000)
    User.objects.create(username="max", password=legacy)

    assert _login(api, "max", "not the passphrase").status_code == 401

    assert User.objects.get(username="max").password == legacy


def test_an_argon2_hash_at_other_parameters_is_rehashed_once_at_login(api):
    # Made at Django's own defaults (m = 100 MiB, t = 2, p = 8), as before a retuning.
    older = DjangoArgon2PasswordHasher().encode(PASSWORD, DjangoArgon2PasswordHasher().salt())
    assert "m=102400,t=2,p=8" in older
    User.objects.create(username="kim", password=older)

    assert _login(api, "kim", PASSWORD).status_code == 200
    rehashed = User.objects.get(username="kim").password
    assert rehashed.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")

    assert _login(api, "kim", PASSWORD).status_code == 200
    assert User.objects.get(username="kim").password == rehashed  # current parameters: kept as is


_RSS_AFTER_CHECKS = """
import runpy, sys
if sys.argv[1] == "gunicorn":
    runpy.run_path("gunicorn.conf.py")
from argon2 import PasswordHasher
from rr.accounts.hashers import Argon2PasswordHasher as H

def rss_kib():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))

hasher = PasswordHasher(time_cost=H.time_cost, memory_cost=H.memory_cost, parallelism=H.parallelism)
stored = hasher.hash("x")
before = rss_kib()
for _ in range(5):
    hasher.verify(stored, "x")
print(rss_kib() - before)
"""


def _rss_growth_kib(mode):
    done = subprocess.run(
        [sys.executable, "-c", _RSS_AFTER_CHECKS, mode], cwd=REPO, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident size from /proc")
def test_a_gunicorn_worker_gives_each_check_s_memory_back():
    # Without gunicorn.conf.py's malloc setting, glibc keeps one check's 19 MiB resident.
    assert _rss_growth_kib("plain") > Argon2PasswordHasher.memory_cost // 2
    assert _rss_growth_kib("gunicorn") < Argon2PasswordHasher.memory_cost // 4
