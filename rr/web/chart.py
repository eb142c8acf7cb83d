"""The History page's calendar: a week per column, a day per cell, as GitHub's contribution
graph and Loop Habit Tracker's calendar, coloured by each day's verdict against the goal.

Server-rendered (a table the template draws as a grid of squares): no script needed to
see it, and each cell carries its date and verdict in words for a screen reader.
"""

from dataclasses import dataclass
from datetime import date as Date
from datetime import timedelta
from decimal import Decimal
from typing import Any

from rr.web import glance

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Cell:
    date: object  # None: a place in the first or last week outside the window
    state: str = "outside"  # kept, missed, none, before, progress (today, not kept yet), outside
    full: bool = False  # kept with every regret done
    today: bool = False
    text: str = ""  # the text alternative

    @property
    def classes(self) -> str:
        names = [self.state] + (["full"] if self.full else []) + (["today"] if self.today else [])
        return " ".join(names)


def index_text(score: Decimal | float | None) -> str:
    return "no checklist" if score is None else glance.index_text(score)


def _state(day: dict[str, Any], today: Date, joined: Date) -> tuple[str, str]:
    """(state, words) of one day of the window."""
    if day["date"] < joined and day["score"] is None:
        return "before", "before you joined"
    if day["date"] == today and not day["regrets"]:
        return "progress", "today, nothing listed yet"
    if day["score"] is None:
        return "none", "no checklist"
    done = f"{day['resolved']} of {day['regrets']} done" if day["regrets"] else "no regrets listed"
    if day["kept"]:
        return "kept", f"kept, {done}"
    if day["date"] == today:
        return "progress", f"today, in progress, {done}"
    return "missed", f"missed, {done}"


def calendar(days: list[dict[str, Any]], *, today: Date, joined: Date) -> dict[str, Any]:
    """The window's `days` (oldest first, each a dict with date, score, regrets, resolved,
    kept) laid out Monday to Sunday down each column, one column per week, the last
    column holding `today`. Returns {"weeks": [...], "rows": [[Cell per week] per weekday]}.
    """
    first = days[0]["date"]
    start = first - timedelta(days=first.weekday())
    by_date = {day["date"]: day for day in days}
    weeks: list[Date] = []
    week_start = start
    while week_start <= today:
        weeks.append(week_start)
        week_start += timedelta(days=7)
    rows: list[list[Cell]] = []
    for weekday in range(7):
        row: list[Cell] = []
        for week in weeks:
            date = week + timedelta(days=weekday)
            day = by_date.get(date)
            if day is None:
                row.append(Cell(date=None))
                continue
            state, words = _state(day, today, joined)
            row.append(
                Cell(
                    date=date,
                    state=state,
                    full=state == "kept" and 0 < day["regrets"] == day["resolved"],
                    today=date == today,
                    text=f"{date:%A} {date.day} {date:%B %Y}: {words}",
                )
            )
        rows.append(row)
    labels = []
    for position, week in enumerate(weeks):
        # A month's name over the first column holding its 1st day (or the window's first column).
        days_of_week = [week + timedelta(days=n) for n in range(7)]
        new_month = next((day for day in days_of_week if day.day == 1 and first <= day <= today), None)
        if new_month is not None:
            label = f"{new_month:%b}"
        elif position == 0:
            label = f"{max(week, first):%b}"
        else:
            label = ""
        labels.append({"start": week, "label": label})
    return {"weeks": labels, "rows": [(WEEKDAYS[weekday], row) for weekday, row in enumerate(rows)]}


def summary(days: list[dict[str, Any]], *, today: Date, joined: Date, goal_words: str) -> str:
    """The calendar's text alternative: what a sighted reader takes from it."""
    states = [_state(day, today, joined)[0] for day in days]
    recorded = [day for day in days if day["score"] is not None and day["date"] != today]
    text = f"The last {len(days)} days against your goal ({goal_words}): {states.count('kept')} kept, "
    text += f"{states.count('missed')} missed, {states.count('none')} without a checklist"
    if states.count("before"):
        text += f", {states.count('before')} before you joined"
    text += "; today is in progress." if "progress" in states else "."
    if recorded:
        average = sum(Decimal(day["score"]) for day in recorded) / len(recorded)
        best = min(recorded, key=lambda day: (day["score"], -day["date"].toordinal()))
        best_day = f"{best['date'].day} {best['date']:%B}"
        text += f" Average regret index {index_text(average)}; best {index_text(best['score'])} on {best_day}."
    return text
