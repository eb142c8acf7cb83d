"""rr.network.serializers.list_entry, built by hand for speed, is NetworkUserSerializer's fields
as DRF itself would render them (its generic Serializer.to_representation, the oracle)."""

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from rest_framework import serializers

from rr.checklists.days import Stats
from rr.network.serializers import ENTRY_FIELDS, NetworkUserSerializer, list_entry


def _rows():
    stats = [
        Stats(date(2026, 12, 7), 4, Decimal("0.1234"), 9, kept_today=True),
        Stats(date(2026, 12, 6), 0, Decimal("0")),
    ]
    latest = [
        (None, None),
        (Decimal("0.2500"), "2026-12-07T08:00:00Z"),
        (Decimal("1"), datetime(2026, 12, 1, 9, tzinfo=UTC)),
    ]
    joined = ["2026-01-02T03:04:05Z", datetime(2025, 6, 19, 12, 30, tzinfo=UTC)]
    for allow, approval, you, back, (score, at), st, when, nudged in itertools.product(
        (True, False), (True, False), (True, False), (True, False), latest, stats, joined, (True, False)
    ):
        yield {
            "link_id": 17, "user_id": 5, "username": "ada", "allow_networking": allow, "follow_approval": approval,
            "followers_count": 3, "following_count": 0, "date_joined": when, "latest_score": score,
            "latest_created_at": at, "you_follow": you, "follows_you": back, "stats": st, "nudged_today": nudged,
        }  # fmt: skip


ROWS = list(_rows())


def test_every_combination_is_what_drfs_own_field_path_renders():
    serializer = NetworkUserSerializer()
    for row in ROWS:
        expected = serializers.Serializer.to_representation(serializer, row)

        entry = list_entry(row)

        assert entry == expected, row
        assert list(entry) == list(expected)  # the same keys in the same order


def test_the_serializer_renders_list_entry_and_its_keys_are_the_declared_fields():
    assert NetworkUserSerializer(ROWS[:3], many=True).data == [list_entry(row) for row in ROWS[:3]]
    assert set(list_entry(ROWS[0])) == ENTRY_FIELDS


@pytest.mark.parametrize("key", ["regret_index", "checklist_created_at", "current_streak", "strength", "kept_today"])
def test_a_withheld_index_leaves_nothing_of_it(key):
    withheld = [
        row for row in ROWS if not row["allow_networking"] or (row["follow_approval"] and not row["you_follow"])
    ]

    assert withheld and all(list_entry(row)[key] is None for row in withheld)
