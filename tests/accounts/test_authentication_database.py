"""A token's (and a browser's) user and session are loaded from the primary, even where reads go to a replica.

An ended session (logout, DELETE /auth/sessions/<id>/, a refresh replay, the admin) ends on
the primary; a replica that has not replayed it yet would still admit its access token on
the views whose reads it serves (rr/common/routers.py REPLICA_READ_VIEWS). So
rr.accounts.selectors.user_for_request and rr.accounts.browser.browser_user never ask the router.

Here reads of accounts are routed to a `replica` alias (the test database's settings)
that the test refuses to connect to: a token check sent there fails the test.
"""

from datetime import timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rr.accounts import services, tokens
from rr.accounts.models import Session, User
from tests.support.clients import client_with_token
from tests.support.responses import assert_refused

pytestmark = pytest.mark.django_db

REPLICA = "replica"


class AccountReadsToTheReplica:
    """A router as ReplicaRouter is on a replica-routed view: reads of accounts to the replica."""

    def db_for_read(self, model, **hints):
        return REPLICA if model in (User, Session) else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS


@pytest.fixture
def account_reads_to_a_replica(settings):
    """Call it to route reads of accounts to the `replica` alias from then on."""
    connections.settings[REPLICA] = {**connections.settings[DEFAULT_DB_ALIAS]}

    def route():
        settings.DATABASE_ROUTERS = [f"{__name__}.AccountReadsToTheReplica"]

    yield route
    if hasattr(connections._connections, REPLICA):
        getattr(connections._connections, REPLICA).close()
        delattr(connections._connections, REPLICA)
    del connections.settings[REPLICA]


def test_the_token_check_reads_the_primary_even_when_reads_go_to_the_replica(account_reads_to_a_replica, make_user):
    user = make_user("reader")
    phone = services.tokens_for(user)
    laptop = services.tokens_for(user)
    services.session_end(user=user, session_id=tokens.decode(laptop["access"], token_type="access")["sid"])
    account_reads_to_a_replica()

    # /auth/user/ is replica-routed (the `account` view): its token check is not.
    with CaptureQueriesContext(connection) as captured:
        assert client_with_token(phone["access"]).get("/auth/user/").status_code == 200
    checks = [query["sql"] for query in captured.captured_queries if "rr_session" in query["sql"]]
    assert len(checks) == 1 and "rr_user" in checks[0], captured.captured_queries  # still one statement
    assert_refused(client_with_token(laptop["access"]).get("/auth/user/"), 401)


def test_an_expired_session_is_not_live_for_a_token_nor_in_the_list(make_user):
    # One definition of a live session (Session.objects.live()): not ended and not
    # expired, whether a token, a browser or the session list asks.
    user = make_user("expiring")
    phone = services.tokens_for(user)
    laptop = services.tokens_for(user)
    sid = tokens.decode(phone["access"], token_type="access")["sid"]
    Session.objects.filter(pk=sid).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_refused(client_with_token(phone["access"]).get("/auth/user/"), 401)
    listed = client_with_token(laptop["access"]).get("/auth/sessions/").json()
    assert sid not in [entry["id"] for entry in listed] and len(listed) == 1


def test_a_browsers_session_check_reads_the_primary_even_when_reads_go_to_the_replica(
    account_reads_to_a_replica, make_user, plain_static_storage
):
    make_user("browsing", password="a sturdy passphrase 42")
    browser = Client()
    signed_in = browser.post("/login/", {"username": "browsing", "password": "a sturdy passphrase 42"})
    assert signed_in.status_code == 302
    account_reads_to_a_replica()

    # /history/ is replica-routed (`web:history`): the browser's session check is not.
    assert browser.get("/history/").status_code == 200
