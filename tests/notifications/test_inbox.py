"""rr.notifications.selectors.inbox and GET /api/inbox/: unread nudges and incoming follow requests."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rr.network import services as network_services
from rr.notifications import selectors, services
from tests.support.clients import client_for

pytestmark = pytest.mark.django_db


def _approving(user):
    network_services.follow_approval_set(user=user, on=True)
    return user


def test_the_inbox_holds_unread_nudges_and_incoming_requests(make_user, follow):
    me, nudger, asker, gone = make_user(), make_user(), make_user(), make_user()
    follow(nudger, me)
    follow(gone, me)
    services.nudge_send(sender=nudger, recipient=me)
    services.nudge_send(sender=gone, recipient=me)
    _approving(me)
    network_services.network_follow(follower=asker, target=me)
    gone.is_active = False  # a deactivated sender's nudge is shown nowhere
    gone.save(update_fields=["is_active"])

    body = client_for(me).get("/api/inbox/").json()

    assert (body["count"], body["unread_nudges"], body["pending_requests"]) == (2, 1, 1)
    assert [n["username"] for n in body["nudges"]] == [nudger.username]
    assert set(body["nudges"][0]) == {"id", "username", "local_date", "created_at"}
    assert [(r["username"], set(r)) for r in body["requests"]] == [(asker.username, {"id", "username", "since"})]


def test_reading_the_inbox_marks_nothing_and_read_nudges_leave_it(make_user, follow):
    me, nudger = make_user(), make_user()
    follow(nudger, me)
    services.nudge_send(sender=nudger, recipient=me)
    client = client_for(me)

    assert client.get("/api/inbox/").json()["count"] == 1
    assert client.get("/api/inbox/").json()["count"] == 1
    services.nudges_read(user=me)

    assert client.get("/api/inbox/").json() == {
        "count": 0,
        "unread_nudges": 0,
        "pending_requests": 0,
        "nudges": [],
        "requests": [],
    }


def test_an_answered_request_leaves_the_inbox(make_user):
    me, asker = _approving(make_user()), make_user()
    network_services.network_follow(follower=asker, target=me)
    (request,) = selectors.inbox(user=me).requests

    network_services.follow_request_accept(user=me, request_id=request["id"])

    assert selectors.inbox(user=me).count == 0


def test_the_badge_costs_one_query(make_user, follow):
    me, nudger = make_user(), make_user()
    follow(nudger, me)
    services.nudge_send(sender=nudger, recipient=me)

    with CaptureQueriesContext(connection) as queries:
        found = selectors.inbox(user=me, items=False)

    assert (found.count, found.nudges, len(queries)) == (1, [], 1)


def test_the_inbox_needs_a_token(api):
    assert api.get("/api/inbox/").status_code == 401
