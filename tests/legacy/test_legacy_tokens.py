"""Tokens the previous release issued, on the upgraded legacy snapshot (docs/OPERATIONS.md, "Legacy tokens").

Tokens are minted exactly as that release did (simplejwt's RefreshToken.for_user with its
settings: 15-minute access, 36,500-day refresh, rotation + blacklist, signed with its
SECRET_KEY) on the snapshot *before* `migrate`, so they are issued before the cutover.
The upgraded release then runs with a rotated SECRET_KEY and LEGACY_JWT_SIGNING_KEY set
to the old one, as docs/OPERATIONS.md tells the operator. Every step runs in a
subprocess, as the deployed processes would.
"""

import json

import jwt
import pytest

from tests.support import pg

LEGACY_KEY = "the-previous-release-secret-key-0123456789abcdef"
NEW_KEY = "a-rotated-secret-key-for-the-new-release-9876543210"
VICTIM = "jane doe"  # a legacy user without a password, as 255 of 256 are
OTHERS = ["Bob", "bob"]
PROBE = "from tests.legacy.token_probe import main; main()"


def _probe(name, args, **env):
    served = {"ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "0", "PROBE": json.dumps(args)}
    result = pg.manage(name, "shell", "-c", PROBE, env={**served, **env})
    return json.loads(result.stdout.strip().splitlines()[-1])


def _upgraded_env(**extra):
    return {"SECRET_KEY": NEW_KEY, "LEGACY_JWT_SIGNING_KEY": LEGACY_KEY, **extra}


@pytest.fixture(scope="module")
def minted(legacy_snapshot):
    """A copy of the snapshot with legacy tokens issued, then upgraded; (template name, tokens)."""
    with pg.scratch_database("legacy_tokens", template=legacy_snapshot) as name:
        tokens = _probe(
            name, {"step": "mint", "users": [VICTIM, *OTHERS], "per_user": 3}, SECRET_KEY=LEGACY_KEY, JWT_SIGNING_KEY=""
        )
        with pg.connect(name) as conn:
            texts = conn.execute("SELECT count(*) FROM token_blacklist_outstandingtoken WHERE token <> ''").fetchone()
        assert texts == (9,)  # the previous release stored every token's text
        pg.manage(name, "migrate", "--noinput", env={"SECRET_KEY": NEW_KEY})
        yield name, tokens


@pytest.fixture
def upgraded(minted):
    """A private copy of the upgraded database holding the minted tokens; (name, tokens)."""
    template, tokens = minted
    with pg.scratch_database("legacy_tokens_copy", template=template) as name:
        yield name, tokens


def test_the_upgrade_scrubs_the_token_texts_the_previous_release_stored(upgraded):
    name, _ = upgraded
    with pg.connect(name) as conn:
        rows = conn.execute("SELECT count(*), count(*) FILTER (WHERE token = '') FROM token_blacklist_outstandingtoken")
        assert rows.fetchone() == (9, 9)


def test_in_the_grace_period_legacy_tokens_work_once_and_the_claim_ends_every_other_session(upgraded):
    name, tokens = upgraded
    owner, spare, stranger = tokens[VICTIM]

    report = _probe(
        name, {"step": "play", "tokens": {"owner": owner, "spare": spare, "stranger": stranger}}, **_upgraded_env()
    )

    # The app in users' hands keeps its session through the deploy, despite the rotated SECRET_KEY.
    assert report["legacy_access"] == 200
    status, account = report["legacy_access_user"]
    assert status == 200 and account["username"] == VICTIM and account["password_set"] is False
    assert (report["owner_refresh"], report["owner_refresh_again"], report["owner_new_access"]) == (200, 401, 200)
    # A stranger's token from the old hole cannot be told apart: it works until the claim...
    assert (report["stranger_refresh"], report["stranger_reads"]) == (200, 200)
    assert report["claim"] == 200
    assert report["claimed_user"][1]["password_set"] is True
    # ...which ends every other session, legacy and new, access and refresh, at once.
    assert report["stranger_access_after_claim"] == 401
    assert report["stranger_refresh_after_claim"] == 401
    assert report["stranger_claim_after_claim"] == 401
    assert report["spare_legacy_refresh_after_claim"] == 401
    assert report["spare_legacy_access_after_claim"] == 401
    assert report["owner_after_claim"] == 200


def _expire_grace(name, days):
    with pg.connect(name) as conn:
        conn.execute(
            "UPDATE django_migrations SET applied = applied - make_interval(days => %s)"
            " WHERE app = 'rr' AND name = '0004_networking'",
            [days],
        )


def _dated_back(pairs, days):
    """The tokens as if minted `days` earlier (their `iat`; `exp` kept, so that only the
    grace period can refuse them): they stay older than the cutover moved back as much."""
    shift = days * 86400
    return [
        {
            kind: jwt.encode(
                {**(claims := jwt.decode(text, LEGACY_KEY, algorithms=["HS256"])), "iat": claims["iat"] - shift},
                LEGACY_KEY,
                algorithm="HS256",
            )
            for kind, text in pair.items()
        }
        for pair in pairs
    ]


def test_legacy_tokens_are_401_after_the_grace_period(upgraded):
    name, tokens = upgraded
    _expire_grace(name, 31)  # the cutover was 31 days ago; the default grace is 30
    statuses = _probe(name, {"step": "try", "tokens": _dated_back(tokens["Bob"], 31)}, **_upgraded_env())
    assert statuses == [{"refresh": 401, "access": 401}] * 3


def test_a_longer_grace_period_keeps_them_working(upgraded):
    name, tokens = upgraded
    _expire_grace(name, 31)
    pairs = _dated_back(tokens["Bob"], 31)
    statuses = _probe(name, {"step": "try", "tokens": pairs}, **_upgraded_env(LEGACY_TOKEN_GRACE_DAYS="45"))
    assert statuses == [{"refresh": 200, "access": 200}] * 3


def test_a_grace_period_of_zero_turns_legacy_tokens_off_at_once(upgraded):
    name, tokens = upgraded
    statuses = _probe(name, {"step": "try", "tokens": tokens["bob"]}, **_upgraded_env(LEGACY_TOKEN_GRACE_DAYS="0"))
    assert statuses == [{"refresh": 401, "access": 401}] * 3


def test_without_the_legacy_key_a_rotated_secret_key_locks_legacy_users_out(upgraded):
    # Why the runbook insists on LEGACY_JWT_SIGNING_KEY when SECRET_KEY changes.
    name, tokens = upgraded
    statuses = _probe(name, {"step": "try", "tokens": tokens["bob"]}, SECRET_KEY=NEW_KEY, LEGACY_JWT_SIGNING_KEY="")
    assert statuses == [{"refresh": 401, "access": 401}] * 3
    # Unchanged key (the default: LEGACY_JWT_SIGNING_KEY falls back to the JWT key): they work.
    statuses = _probe(name, {"step": "try", "tokens": tokens["bob"]}, SECRET_KEY=LEGACY_KEY, LEGACY_JWT_SIGNING_KEY="")
    assert statuses == [{"refresh": 200, "access": 200}] * 3
