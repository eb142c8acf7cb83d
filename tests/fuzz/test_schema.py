"""Schema fuzzing: schemathesis drives every operation of /schema/, authenticated.

The schema is loaded from the application's own /schema/ (in-process WSGI). Every
operation gets generated valid requests, invalid ones, and valid ones whose path
names real objects (the user's own checklist and regret, somebody else's, a friend,
a user with networking off...), all sent with the bearer token of a real user.
Every answer must be a documented status with a documented content type and body,
and none may be a 5xx. What the fuzzer creates are real rows (rate limits are lifted
so that it is not stopped by them); the follow counts must still be exact afterwards.
"""

import itertools
import os
from collections import Counter

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rr.accounts import services as account_services
from rr.accounts.models import Session
from rr.checklists import services as checklist_services
from rr.checklists.models import Checklist
from rr.network import services as network_services
from rr.network.models import FollowRequest
from rr.notifications import push
from tests.api.endpoints import ENDPOINTS
from tests.network.helpers import utc
from tests.support.counts import assert_counts_exact

# Examples per operation and pass (generated, invalid, real objects): 24 operations
# x 3 passes x 25 keeps the run near half a minute on two cores. FUZZ_EXAMPLES=500
# makes a long run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PASSWORD = "a sturdy passphrase 42"

pytestmark = pytest.mark.slow


@pytest.fixture
def app(settings, transactional_db):
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.SECURE_SSL_REDIRECT = False
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
    }
    # Configured for Web Push as production is (without keys GET /api/push/key/ answers its
    # documented 503 push_not_configured, which this run would count as a server error).
    settings.VAPID_PRIVATE_KEY = push.vapid_new_pair()[0]
    settings.VAPID_SUBJECT = "mailto:ops@regret.test"
    # Built after the overrides, so that the middleware it loads sees them.
    return get_wsgi_application()


@pytest.fixture
def world(transactional_db):
    """The fuzzing user and the objects around it, as path values the fuzzer can aim at."""

    def user(name, **fields):
        made = account_services.account_create(username=name, password=PASSWORD)
        for key, value in fields.items():
            setattr(made, key, value)
        if fields:
            made.save(update_fields=list(fields))
        return made

    def checklist_of(owner, day, regrets):
        made, _ = checklist_services.checklist_for_day(user=owner, local_datetime=utc(2025, 6, day, 8))
        added = [
            checklist_services.regret_add(user=owner, checklist_id=made.pk, description=f"regret {i}")[0]
            for i in range(regrets)
        ]
        return made, added

    me = user("fuzzer")
    friend, stranger, fan = user("friend"), user("stranger"), user("fan")
    user("hermit", allow_networking=False)
    user("gone", is_active=False)
    locked = user("locked", follow_approval=True)
    network_services.network_follow(follower=me, target=friend)
    network_services.network_follow(follower=friend, target=me)
    network_services.network_follow(follower=fan, target=me)
    mine, my_regrets = checklist_of(me, 19, 3)
    frozen, frozen_regrets = checklist_of(me, 18, 1)
    Checklist.objects.filter(pk=frozen.pk).update(completed=True)  # as legacy data can be
    theirs, their_regrets = checklist_of(stranger, 19, 1)
    asked = network_services.network_follow(follower=me, target=locked)
    # A request to a user without approval, as only a switch of follow_approval mid-request leaves one.
    asking = FollowRequest.objects.create(requester=stranger, target=me)
    return {
        "user": me,
        "username": ["fuzzer", "friend", "stranger", "fan", "hermit", "gone", "locked", "nobody", "bob smith"],
        "list_type": ["following", "followers"],
        "request_id": [asked.pk, asking.pk],
        "checklist_id": [mine.pk, frozen.pk, theirs.pk],
        "regret_id": [r.pk for r in my_regrets + frozen_regrets + their_regrets],
        # A session of mine (another device) and one of someone else's.
        "session_id": [_session_of(me), _session_of(friend)],
        # A standing regret of mine and one of someone else's.
        "item_id": [_routine_item_of(me), _routine_item_of(stranger)],
    }


def _routine_item_of(user):
    return checklist_services.routine_add(user=user, description="standing").pk


def _session_of(user):
    account_services.tokens_for(user, user_agent="fuzz")
    return Session.objects.filter(user=user).latest("pk").pk


def _real_paths(operation, world):
    """Every combination of real path values for the operation's path parameters."""
    names = [parameter.name for parameter in operation.path_parameters]
    return [dict(zip(names, values)) for values in itertools.product(*(world[name] for name in names))]


def test_every_operation_answers_as_documented(app, world):
    schema = schemathesis.openapi.from_wsgi("/schema/", app)
    headers = {"Authorization": f"Bearer {account_services.tokens_for(world['user'])['access']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    examples = Counter()
    statuses = Counter()

    for operation in operations:
        passes = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
        if operation.path != "/health/":  # no parameter, body or token: nothing to make invalid
            passes.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        real = _real_paths(operation, world)
        if real != [{}]:
            passes.append(st.one_of([operation.as_strategy(path_parameters=values) for values in real]))
        for strategy in passes:

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                examples[operation.label] += 1  # noqa: B023 -- run() is called in this iteration
                statuses[response.status_code] += 1

            run()

    print(f"schemathesis: {sum(examples.values())} examples, {len(examples)} operations, {dict(statuses)}")
    documented = {f"{method} {path}" for method, path in ENDPOINTS} | {"GET /health/"}
    assert {operation.label for operation in operations} == documented
    assert set(examples) == {operation.label for operation in operations}
    # The run reached past the front door: successes, refusals and conflicts alike.
    assert {200, 201, 400, 403, 404, 409} <= set(statuses)
    assert_counts_exact()
