"""accounts.selectors.user_by_username: exact first, else a unique case-insensitive match."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rr.accounts.models import User
from rr.accounts.selectors import USERNAME_ID_SQL, user_by_username
from rr.common.errors import NotFound

pytestmark = pytest.mark.django_db


def _legacy(username, **fields):
    # As the legacy release wrote users: any name, `Bob` beside `bob`.
    return User.objects.create(username=username, password="!", **fields)


def test_an_exact_match_wins_in_one_query():
    bob, upper = _legacy("bob"), _legacy("Bob")

    with CaptureQueriesContext(connection) as queries:
        assert user_by_username(username="Bob").pk == upper.pk
    assert len(queries) == 1
    assert user_by_username(username="bob").pk == bob.pk


def test_a_unique_case_insensitive_match_is_found():
    alice = _legacy("alice")

    assert user_by_username(username="ALICE").pk == alice.pk
    assert user_by_username(username="aLiCe").pk == alice.pk


def test_an_ambiguous_or_absent_name_is_not_found():
    _legacy("bob"), _legacy("Bob")

    for name in ("BOB", "bOb", "carol"):
        with pytest.raises(NotFound) as refusal:
            user_by_username(username=name)
        assert refusal.value.code == "user_not_found"


def test_active_only_does_not_swap_an_inactive_exact_match_for_another_user():
    _legacy("Dave", is_active=False)
    _legacy("dave")

    with pytest.raises(NotFound):
        user_by_username(username="Dave", active_only=True)
    assert user_by_username(username="Dave").username == "Dave"
    assert user_by_username(username="dave", active_only=True).username == "dave"


def test_the_loaded_user_carries_what_callers_read():
    _legacy("erin", allow_networking=False)

    user = user_by_username(username="ERIN")

    assert (user.username, user.is_active, user.allow_networking) == ("erin", True, False)


def _id_in_sql(name):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {USERNAME_ID_SQL}", {"username": name})
        return cursor.fetchone()[0]


def test_the_sql_form_finds_whom_user_by_username_finds():
    # USERNAME_ID_SQL (a write's own look-up: rr.network.links.link_delete_named) and
    # user_by_username apply one rule: exact first, else a unique case-insensitive match.
    _legacy("bob"), _legacy("Bob"), _legacy("alice"), _legacy("Dave", is_active=False), _legacy("dave")
    _legacy("100% real?#&"), _legacy("o'neil")

    for name in (
        "bob",
        "Bob",
        "BOB",
        "bOb",
        "alice",
        "ALICE",
        "Dave",
        "dave",
        "DAVE",
        "carol",
        "100% real?#&",
        "O'NEIL",
    ):
        try:
            expected = user_by_username(username=name).pk
        except NotFound:
            expected = None
        assert _id_in_sql(name) == expected, name
