"""rr.common.renderers.JSONRenderer writes the JSON DRF's own renderer writes (orjson is only faster)."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils.translation import gettext_lazy
from rest_framework import renderers as drf_renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from rr.common.renderers import JSONRenderer
from tests.support.clients import client_for


@dataclass
class _Point:
    x: int


ANSWERS = [
    {"list_type": "following", "count": 2, "users": [{"id": 1, "regret_index": 0.8209, "strength": 0.0}]},
    {"error": {"message": ErrorDetail("No such user.", code="user_not_found"), "fields": {"a": [ErrorDetail("x")]}}},
    ReturnDict({"username": "ünïcode ✓ 日本", "nested": ReturnList([1, 2], serializer=None)}, serializer=None),
    {"at": datetime(2026, 12, 7, 8, 40, 45, 123456, tzinfo=UTC), "local": datetime(2026, 1, 2, 3, 4, 5)},
    {"offset": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=8))), "day": date(2026, 2, 28)},
    {"score": Decimal("0.1250"), "id": uuid.UUID(int=7), "lazy": gettext_lazy("Password"), "span": timedelta(1)},
    {"separators": "a\u2028b\u2029c", "quote": '"\\/', "control": "\x00\x1f", "empty": [], "nothing": None},
    {"big": 2**70, "negative_big": -(2**70)},  # past 64 bits: DRF's renderer writes it
    {"point": _Point(3)},  # DRF's encoder decides what a dataclass is (it refuses it): as before
    [True, False, -1, 0, 1.5, 1e20, "x" * 5000],
]


def _both(data, media_type=None):
    theirs = ours = None
    try:
        theirs = drf_renderers.JSONRenderer().render(data, media_type)
    except TypeError as error:
        theirs = type(error)
    try:
        ours = JSONRenderer().render(data, media_type)
    except TypeError as error:
        ours = type(error)
    return ours, theirs


@pytest.mark.parametrize("data", ANSWERS, ids=range(len(ANSWERS)))
def test_it_writes_the_same_json_as_drfs_renderer(data):
    ours, theirs = _both(data)

    assert ours == theirs


def test_line_and_paragraph_separators_are_escaped_as_drf_does():
    ours, _ = _both({"s": "a\u2028b\u2029"})

    assert ours == b'{"s":"a\\u2028b\\u2029"}'


def test_a_float_may_be_spelled_otherwise_but_is_the_same_number():
    ours, theirs = _both({"tiny": 0.00001, "scores": [0.0001, 0.3333, 1.0]})

    assert json.loads(ours) == json.loads(theirs)


def test_an_indented_answer_and_no_answer_are_drfs():
    data = {"a": [1, {"b": None}]}

    ours, theirs = _both(data, "application/json; indent=4")

    assert ours == theirs
    assert b"\n    " in ours
    assert JSONRenderer().render(None) == b""


def test_the_api_renders_with_it(make_user):
    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] == ["rr.common.renderers.JSONRenderer"]
    user = make_user()

    response = client_for(user).get("/api/network/settings/")

    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response["Content-Type"] == "application/json"
    assert response.content == drf_renderers.JSONRenderer().render(response.data)
