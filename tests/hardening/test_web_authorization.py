"""The web app's CSRF and ownership guards, enumerated from the URL configuration.

Every page of the `web` namespace (rr/web/urls.py) refuses a POST without the CSRF
token, so a view marked @csrf_exempt (or a new one added without protection) fails
here without anyone listing it. Every web and htmx endpoint that takes an id (in its
path, or in its form: WEB_VIEWS below, which must classify every web URL) is tried
by another signed-in user with the owner's ids, with and without htmx, as
tests/hardening/test_authorization.py does for the API: nothing of the owner's
changes and nothing of it shows in the answer.
"""

import itertools
import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from rr.checklists import services as checklist_services
from rr.checklists.models import Regret, RoutineItem
from rr.network import services as network_services
from rr.network.models import FollowRequest, Network

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]

PASSWORD = "a sturdy passphrase 42"
SECRET = "Owner secret regret 7f3a"  # nothing HTML escapes
_addresses = (f"10.80.{i // 250}.{i % 250 + 1}" for i in itertools.count())

# Every URL of the web app, with the ids its requests carry in their form (fields), if any.
# A new web URL must be added here: test_every_web_url_is_classified fails until it is.
WEB_VIEWS = {
    "welcome": (),
    "login": (),
    "logout": (),
    "recover": (),
    "today": (),
    "regret-add": ("checklist",),
    "regrets-tick": ("checklist", "resolve"),
    "history": (),
    "friends": (),
    "follow": (),
    "unfollow": (),
    "follower-remove": (),
    "block": (),
    "unblock": (),
    "nudge": (),
    "follow-request": ("request",),
    "settings": (),
    "networking": (),
    "reminders": (),
    "push-subscription": (),  # an endpoint is not an id: the last account to register a browser owns it
    "manifest": (),
    "service-worker": (),
    "password": (),
    "sessions-end-others": (),
    "export": (),
    "delete": (),
    "regret-undo": ("checklist", "regret"),
    "regret-edit": ("checklist", "regret"),
    "regret-delete": ("checklist", "regret"),
    "regret-to-routine": ("checklist", "regret"),
    "routine-add": (),
    "routine-rename": ("item",),
    "routine-move": ("item",),
    "routine-remove": ("item",),
    "routine-from-yesterday": ("checklist",),
    "routine-from-today": ("checklist",),
    "inbox": (),
}


def web_urls(namespace="web"):
    """(name, route) of every URL pattern in `namespace`, read from the URL configuration."""
    found = []

    def walk(patterns, prefix, current):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or current)
            elif isinstance(pattern, URLPattern) and current == namespace:
                found.append((pattern.name, prefix + str(pattern.pattern)))

    walk(get_resolver().url_patterns, "/", None)
    return found


def _path(route):
    """A concrete path for `route`: every path parameter 1."""
    return re.sub(r"<(?:\w+:)?\w+>", "1", route).lstrip("^").rstrip("$")


def _browser(user):
    """A browser signed in as `user` through the welcome form, checking CSRF like a real one."""
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR=next(_addresses))
    page = browser.get("/")
    token = page.cookies["csrftoken"].value
    page = browser.post(
        "/", {"username": user.username, "password": PASSWORD, "action": "login", "csrfmiddlewaretoken": token}
    )
    assert page.status_code == 302, page.status_code
    browser.csrf_token = browser.cookies["csrftoken"].value
    return browser


def test_the_web_urls_are_found():
    names = {name for name, _ in web_urls()}
    assert {"welcome", "delete", "regret-add", "regrets-tick", "follow-request"} <= names


def test_every_web_url_is_classified():
    """A new web view must say here which ids its requests carry (none, or the form's fields)."""
    assert {name for name, _ in web_urls()} == set(WEB_VIEWS)


@pytest.mark.parametrize(("name", "route"), web_urls(), ids=[name for name, _ in web_urls()])
def test_every_web_url_refuses_a_post_without_the_csrf_token(name, route, make_user):
    user = make_user(password=PASSWORD)
    browser = _browser(user)
    answer = browser.post(_path(route), {"username": user.username, "password": PASSWORD, "confirm": user.username})
    assert answer.status_code == 403 and b"CSRF" in answer.content, (name, answer.status_code)
    assert answer.wsgi_request.user.is_authenticated  # refused although signed in: the token was missing
    user.refresh_from_db()  # still there (delete), password unchanged
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("route_name", ["login", "logout", "password_change"])
def test_the_admins_forms_refuse_a_post_without_the_csrf_token(route_name):
    answer = Client(enforce_csrf_checks=True).post(reverse(f"admin:{route_name}"), {})
    assert answer.status_code == 403 and b"CSRF" in answer.content


# Ownership ------------------------------------------------------------------------------


@pytest.fixture
def owner_and_stranger(make_user):
    """The owner's day (one regret, open) and a follow request to them; a stranger with a day of their own."""
    owner, stranger, third = (make_user(password=PASSWORD) for _ in range(3))
    day = datetime.now(UTC)
    checklist, _ = checklist_services.checklist_for_day(user=owner, local_datetime=day)
    regret, _ = checklist_services.regret_add(user=owner, checklist_id=checklist.pk, description=SECRET)
    own, _ = checklist_services.checklist_for_day(user=stranger, local_datetime=day)
    network_services.follow_approval_set(user=owner, on=True)
    network_services.network_follow(follower=third, target=owner)
    request = FollowRequest.objects.get(target=owner)
    item = checklist_services.routine_add(user=owner, description=SECRET)
    return {
        "owner": owner,
        "stranger": stranger,
        "ids": {
            "checklist": checklist.pk,
            "resolve": regret.pk,
            "regret": regret.pk,
            "request": request.pk,
            "item": item.pk,
        },
        "own_checklist": own.pk,
    }


def _owners_state(owner):
    return (
        sorted(Regret.objects.filter(checklist__user=owner).values_list("pk", "description", "success")),
        sorted(FollowRequest.objects.filter(target=owner).values_list("pk", "requester_id")),
        Network.objects.filter(following=owner).count(),
        sorted(RoutineItem.objects.filter(user=owner).values_list("pk", "description", "position")),
    )


def _attempts(fields, ids, own_checklist):
    """The stranger's forms: the owner's ids in every field, and mixed with their own checklist."""
    base = {"description": "sneaky", "action": "accept", "position": 1}
    yield {**base, **{field: ids[field] for field in fields}}
    if "checklist" in fields and len(fields) > 1:
        yield {**base, **{field: ids[field] for field in fields}, "checklist": own_checklist}
    if "request" in fields:
        for action in ("reject", "cancel"):
            yield {**base, "request": ids["request"], "action": action}


ID_VIEWS = sorted(
    {name for name, fields in WEB_VIEWS.items() if fields}
    | {name for name, route in web_urls() if re.search(r"<(?:\w+:)?\w+>", route)}
)


def test_every_id_taking_web_view_is_tried():
    assert ID_VIEWS == [
        "follow-request",
        "regret-add",
        "regret-delete",
        "regret-edit",
        "regret-to-routine",
        "regret-undo",
        "regrets-tick",
        "routine-from-today",
        "routine-from-yesterday",
        "routine-move",
        "routine-remove",
        "routine-rename",
    ]


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("name", ID_VIEWS)
def test_another_users_ids_change_and_show_nothing_of_theirs(name, htmx, owner_and_stranger):
    owner, ids = owner_and_stranger["owner"], owner_and_stranger["ids"]
    browser = _browser(owner_and_stranger["stranger"])
    route = dict(web_urls())[name]
    before = _owners_state(owner)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for form in _attempts(WEB_VIEWS.get(name, ()), ids, owner_and_stranger["own_checklist"]):
        answer = browser.post(
            _path(route).replace("/1/", f"/{ids['checklist']}/"),
            {**form, "csrfmiddlewaretoken": browser.csrf_token},
            follow=not htmx,
            **headers,
        )
        assert answer.status_code < 500, (name, form, answer.status_code)
        assert SECRET not in answer.content.decode(), (name, form)  # nothing of the owner's day
        assert _owners_state(owner) == before, (name, form)


def test_the_owner_sees_their_day_in_the_same_answer(owner_and_stranger):
    """The control: the answer the stranger must not get shows the owner's regret to the owner."""
    browser = _browser(owner_and_stranger["owner"])
    form = {"description": "another", "checklist": owner_and_stranger["ids"]["checklist"]}
    answer = browser.post(
        reverse("web:regret-add"), {**form, "csrfmiddlewaretoken": browser.csrf_token}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 200 and SECRET in answer.content.decode()
