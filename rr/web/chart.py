"""The History page's chart: server-rendered SVG of the regret index per local day."""

from decimal import Decimal

BAR = 10  # user units per day (the SVG scales to its box)
HEIGHT = 100


def history_chart(days, goal):
    """Bars for `days` (oldest first): height is the share done, 1 - regret index (taller is better).

    Kept days (at or under the goal, as the history says) in the "good" colour; days
    without a checklist get a short grey tick so the gap reads as "nothing", not "0".
    """
    bars = []
    for position, day in enumerate(days):
        x = position * BAR
        if day["score"] is None:
            bars.append({"x": x + 2, "y": HEIGHT - 3, "height": 3, "width": BAR - 4, "kind": "none"})
            continue
        height = max(2, round((1 - float(day["score"])) * HEIGHT, 1))
        bars.append(
            {
                "x": x + 1,
                "y": round(HEIGHT - height, 1),
                "height": height,
                "width": BAR - 2,
                "kind": "kept" if day["kept"] else "missed",
            }
        )
    return {
        "width": len(days) * BAR,
        "height": HEIGHT,
        "bars": bars,
        "goal_y": round(float(goal) * HEIGHT, 1),
    }


def index_text(score):
    return "no checklist" if score is None else str(round(float(score), 2))


def summary(days, goal):
    """The chart's text alternative: what a sighted reader takes from it."""
    recorded = [day for day in days if day["score"] is not None]
    kept = sum(1 for day in days if day["kept"])
    text = f"Regret index for the last {len(days)} days: {kept} kept (at or under your goal of {index_text(goal)}), "
    text += f"{len(days) - len(recorded)} without a checklist."
    if recorded:
        average = sum(Decimal(day["score"]) for day in recorded) / len(recorded)
        best = min(recorded, key=lambda day: day["score"])
        text += f" Average {index_text(average)}; best {index_text(best['score'])} on {best['date']:%d %B}."
    return text
