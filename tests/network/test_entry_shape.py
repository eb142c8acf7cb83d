"""rr.network.selectors._entries, the one builder of a list entry (lists, the web's Friends page,
the follow's answer): NetworkUserSerializer's fields in its order, and the withheld rule."""

import itertools
from datetime import UTC, date, datetime

import pytest

from rr.checklists import days
from rr.network import selectors
from rr.network.serializers import ENTRY_FIELDS, NetworkUserSerializer

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
# (summary columns in days.SUMMARY_KEYS order, what the entry's streak fields then say)
SUMMARIES = [
    ((True, date(2026, 12, 7), 0, date(2026, 12, 7), 4, 9, 0.25), (4, True)),  # kept today: a run of 4
    ((True, date(2026, 12, 5), 60, date(2026, 12, 4), 3, 3, 0.5), (0, False)),  # last kept 3 days ago
    ((True, None, None, None, None, None, None), (0, False)),  # no day at all
]
LATEST = [(None, None), (0.25, "2026-12-07T08:00:00Z")]


def _rows():
    for (allow, approval, you, back), latest, summary, nudged in itertools.product(
        itertools.product((True, False), repeat=4), LATEST, SUMMARIES, (True, False)
    ):
        row = (7, "ada", allow, approval, 3, 0, "2026-01-02T03:04:05Z", *latest, *summary[0], you, back)
        yield row, summary[1], nudged


ROWS = list(_rows())


def _expected(row, streak, nudged):
    user_id, username, allow, approval, followers, following, joined, score, at, *_, you, back = row
    withheld = not allow or (approval and not you)
    stats = days.summary_stats(row[selectors._SUMMARY], NOW)
    return {
        "id": user_id,
        "username": username,
        "regret_index": None if withheld else -1 if at is None else score,
        "checklist_created_at": None if withheld else at,
        "allow_networking": allow,
        "followers_count": followers,
        "following_count": following,
        "date_joined": joined,
        "you_follow": you,
        "follows_you": back,
        "current_streak": None if withheld else streak[0],
        "strength": None if withheld else float(stats.strength),
        "nudged_today": nudged,
        "kept_today": None if withheld else streak[1],
    }


def test_every_combination_of_a_rows_states_makes_the_entry_the_rule_says():
    for row, streak, nudged in ROWS:
        today = days.summary_stats(row[selectors._SUMMARY], NOW).today
        (entry,) = selectors._entries([row], {(7, today)} if nudged else set(), NOW)

        assert entry == _expected(row, streak, nudged), row


def test_its_keys_are_the_serializers_declared_fields_in_their_order():
    (entry,) = selectors._entries([ROWS[0][0]], set(), NOW)

    assert list(entry) == list(NetworkUserSerializer().fields)
    assert set(entry) == ENTRY_FIELDS


@pytest.mark.parametrize("key", ["regret_index", "checklist_created_at", "current_streak", "strength", "kept_today"])
def test_a_withheld_index_leaves_nothing_of_it(key):
    withheld = [row for row, _, _ in ROWS if not row[2] or (row[3] and not row[-2])]
    entries = selectors._entries(withheld, set(), NOW)

    assert len(entries) == len(withheld) > 0 and all(entry[key] is None for entry in entries)
    assert not selectors.index_withheld(allow_networking=True, follow_approval=True, you_follow=True)
