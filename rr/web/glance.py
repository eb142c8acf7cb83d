"""The regret index in words: the daily goal as people say it, and a day at a glance.

The goal is stored as the API has it (`daily_goal`, the highest regret index that still
keeps a day: 0 is "every regret done"); people choose it, and read it, as a share done.
A day's verdict is the history's rule (rr.checklists.days.Day.kept): kept when it has a
regret and its index is at or under the goal; today, not yet kept, is "not yet".
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rr.checklists.services import regret_index

# A first day's suggestions, each added with one tap (today.html): small, daily, concrete.
EXAMPLE_REGRETS = (
    "Drink a glass of water",
    "Walk for 20 minutes",
    "Read 10 pages",
    "Message a friend",
)

# The goals offered in words, as (daily_goal, words); any other is a percentage done.
GOAL_CHOICES = (
    (Decimal("0"), "every regret done"),
    (Decimal("0.25"), "at least three quarters done"),
    (Decimal("0.5"), "at least half done"),
)


def index_text(score: Decimal | float) -> str:
    """The regret index as the API's float shows it, to two places: 0.33, 0.0, 1.0."""
    return str(round(float(score), 2))


def goal_words(goal: Decimal | str) -> str:
    """`daily_goal` as a share done, in words: "every regret done", "at least 80% done"."""
    goal = Decimal(goal)
    for value, words in GOAL_CHOICES:
        if goal == value:
            return words
    return f"at least {goal_percent(goal)}% done"


def goal_percent(goal: Decimal | str) -> int:
    """The share done (0-100, whole percent, rounded down) that a goal asks for."""
    return int((1 - Decimal(goal)) * 100)


def goal_from_percent(percent: int | str) -> Decimal:
    """The daily_goal for "at least `percent`% done"."""
    return (100 - Decimal(percent)) / 100


@dataclass(frozen=True)
class Glance:
    total: int
    resolved: int
    index: str  # the regret index to two places, as the API's float shows it
    state: str  # "kept", "not-yet" or "missed"; "empty" before the first regret
    label: str  # the state in words
    sentence: str
    goal: str  # the goal in words


def day_glance(*, regrets: Sequence[Any], score: Decimal, goal: Decimal, closed: bool) -> Glance:
    """What the index block says about a day with `regrets` (each with `.success`)."""
    total = len(regrets)
    resolved = sum(1 for regret in regrets if regret.success)
    words = goal_words(goal)
    index = index_text(score)
    if not total:
        sentence = "Add the first thing you'd regret not doing today, then tick it off when it's done."
        return Glance(0, 0, index, "empty", "", sentence, words)
    if score <= goal:
        if resolved == total:
            sentence = "Everything done: a day without regrets."
        else:
            sentence = f"Kept: {resolved} of {total} done meets your goal ({words})."
        return Glance(total, resolved, index, "kept", "Kept", sentence, words)
    if closed:
        sentence = f"This day closed short of your goal ({words}); tomorrow is a new one."
        return Glance(total, resolved, index, "missed", "Missed", sentence, words)
    more = _more_to_keep(total=total, resolved=resolved, goal=goal)
    sentence = f"{more} more done and today is kept ({words}). The regret index is the share still undone."
    return Glance(total, resolved, index, "not-yet", "Not yet", sentence, words)


def _more_to_keep(*, total: int, resolved: int, goal: Decimal) -> int:
    """How many more regrets to tick before the day's index reaches the goal (the scoring rule's rounding)."""
    for more in range(total - resolved + 1):
        if regret_index(unresolved=total - resolved - more, total=total) <= goal:
            return more
    return total - resolved
