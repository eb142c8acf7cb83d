"""No edit in the admin leaves a checklist's score wrong.

The score is read-only there (so is `completed`); every save or delete of regrets, in
the regret admin or inline on a checklist, recomputes the scores it touched. After each
edit every checklist's score is compared with an oracle computed here in SQL.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from rr.checklists import services as checklist_services
from rr.checklists.models import Checklist, Regret

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]

# The share of unresolved regrets, rounded half up to 4 places; 1 without regrets.
_WRONG_SCORES_SQL = """
    SELECT c.id, c.score, t.truth
    FROM rr_checklist c
    JOIN LATERAL (
        SELECT COALESCE(round(count(*) FILTER (WHERE NOT r.success)::numeric / NULLIF(count(*), 0), 4), 1) AS truth
        FROM rr_regret r WHERE r.checklist_id = c.id
    ) t ON true
    WHERE c.score <> t.truth
"""


def assert_scores_exact():
    with connection.cursor() as cursor:
        cursor.execute(_WRONG_SCORES_SQL)
        assert cursor.fetchall() == []


@pytest.fixture
def setup(superuser_browser, make_user):
    browser = superuser_browser
    alice = make_user("alice")
    days = []
    for day in (18, 19):
        checklist, _ = checklist_services.checklist_for_day(
            user=alice, local_datetime=datetime(2025, 6, day, 12, tzinfo=UTC)
        )
        for n in range(3):
            checklist_services.regret_add(user=alice, checklist_id=checklist.pk, description=f"day {day} regret {n}")
        days.append(checklist)
    assert_scores_exact()
    return browser, days


def _regret_form(regret, **changes):
    data = {
        "description": regret.description,
        "checklist": regret.checklist_id,
        "created_at_0": regret.created_at.strftime("%Y-%m-%d"),
        "created_at_1": regret.created_at.strftime("%H:%M:%S"),
    }
    if regret.success:
        data["success"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _score(checklist):
    return Checklist.objects.get(pk=checklist.pk).score


def test_ticking_and_unticking_a_regret_recomputes_the_score(setup):
    browser, (first, _) = setup
    regret = first.regrets.order_by("pk").first()
    response = browser.post(f"/admin/rr/regret/{regret.pk}/change/", _regret_form(regret, success="on"))
    assert response.status_code == 302
    assert _score(first) == Decimal("0.6667")
    assert_scores_exact()

    regret.refresh_from_db()
    response = browser.post(f"/admin/rr/regret/{regret.pk}/change/", _regret_form(regret, success=None))
    assert response.status_code == 302
    assert _score(first) == Decimal("1")
    assert_scores_exact()


def test_adding_and_moving_a_regret_recomputes_both_scores(setup):
    browser, (first, second) = setup
    checklist_services.regret_resolve(
        user=first.user, checklist_id=first.pk, regret_id=first.regrets.first().pk, success=True
    )
    response = browser.post(
        "/admin/rr/regret/add/",
        {"description": "added by staff", "checklist": first.pk, "created_at_0": "2025-06-19", "created_at_1": "12:00"},
    )
    assert response.status_code == 302
    assert _score(first) == Decimal("0.75")
    assert_scores_exact()

    moved = Regret.objects.get(description="added by staff")
    response = browser.post(f"/admin/rr/regret/{moved.pk}/change/", _regret_form(moved, checklist=second.pk))
    assert response.status_code == 302
    assert _score(first) == Decimal("0.6667") and _score(second) == Decimal("1")
    assert_scores_exact()


def test_deleting_regrets_one_or_many_recomputes_the_score(setup):
    browser, (first, second) = setup
    resolved = first.regrets.order_by("pk").first()
    checklist_services.regret_resolve(user=first.user, checklist_id=first.pk, regret_id=resolved.pk, success=True)
    unresolved = first.regrets.order_by("pk").last()
    response = browser.post(f"/admin/rr/regret/{unresolved.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert _score(first) == Decimal("0.5")
    assert_scores_exact()

    chosen = [resolved.pk, *second.regrets.values_list("pk", flat=True)[:2]]
    response = browser.post(
        "/admin/rr/regret/", {"action": "delete_selected", "_selected_action": chosen, "post": "yes"}
    )
    assert response.status_code == 302
    assert _score(first) == Decimal("1") and _score(second) == Decimal("1")
    assert_scores_exact()


def test_editing_regrets_inline_recomputes_and_score_and_completed_cannot_be_typed_in(setup):
    browser, (first, _) = setup
    regrets = list(first.regrets.order_by("pk"))
    data = {
        "user": first.user_id,
        "created_at_0": first.created_at.strftime("%Y-%m-%d"),
        "created_at_1": first.created_at.strftime("%H:%M:%S"),
        "score": "0",
        "completed": "on",
        "regrets-TOTAL_FORMS": str(len(regrets) + 1),
        "regrets-INITIAL_FORMS": str(len(regrets)),
        "regrets-MIN_NUM_FORMS": "0",
        "regrets-MAX_NUM_FORMS": "1000",
    }
    for index, regret in enumerate(regrets):
        data.update(
            {
                f"regrets-{index}-id": regret.pk,
                f"regrets-{index}-checklist": first.pk,
                f"regrets-{index}-description": regret.description,
                f"regrets-{index}-created_at_0": regret.created_at.strftime("%Y-%m-%d"),
                f"regrets-{index}-created_at_1": regret.created_at.strftime("%H:%M:%S"),
            }
        )
    data["regrets-0-success"] = "on"  # tick one
    data["regrets-1-DELETE"] = "on"  # delete one
    new = len(regrets)  # add one, ticked
    data.update(
        {
            f"regrets-{new}-checklist": first.pk,
            f"regrets-{new}-description": "added inline",
            f"regrets-{new}-success": "on",
            f"regrets-{new}-created_at_0": "2025-06-18",
            f"regrets-{new}-created_at_1": "12:00:00",
        }
    )
    response = browser.post(f"/admin/rr/checklist/{first.pk}/change/", data)
    assert response.status_code == 302, response.context and response.context["errors"]
    first.refresh_from_db()
    assert first.regrets.count() == 3
    assert first.score == Decimal("0.3333")  # two of three resolved, not the 0 typed in
    assert first.completed is False
    assert_scores_exact()
