"""checklist_score_refresh: the score is the share of regrets still unresolved."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rr.checklists import services
from rr.checklists.models import Checklist, Regret

pytestmark = pytest.mark.django_db


def _checklist_with(user, total, resolved):
    checklist, _ = services.checklist_for_day(user=user, local_datetime=datetime(2025, 6, 19, 12, tzinfo=UTC))
    regrets = [services.regret_add(user=user, checklist_id=checklist.pk, description=f"r{i}")[0] for i in range(total)]
    for regret in regrets[:resolved]:
        services.regret_resolve(user=user, checklist_id=checklist.pk, regret_id=regret.pk, success=True)
    return checklist


def _stored_score(checklist):
    return Checklist.objects.get(pk=checklist.pk).score


@pytest.mark.parametrize(
    ("total", "resolved", "score"),
    [
        (0, 0, "1"),
        (1, 0, "1"),
        (1, 1, "0"),
        (3, 1, "0.6667"),
        (3, 2, "0.3333"),
        (3, 3, "0"),
        (6, 1, "0.8333"),
        (8, 5, "0.375"),
        (7, 1, "0.8571"),
    ],
)
def test_score_is_the_unresolved_share_rounded_to_four_places(user, total, resolved, score):
    checklist = _checklist_with(user, total, resolved)

    assert _stored_score(checklist) == Decimal(score)


def test_adding_a_regret_lowers_the_done_share(user):
    checklist = _checklist_with(user, 2, 1)
    assert _stored_score(checklist) == Decimal("0.5")

    services.regret_add(user=user, checklist_id=checklist.pk, description="one more")

    assert _stored_score(checklist) == Decimal("0.6667")


def test_the_api_shows_the_stored_score_as_a_number(client, user):
    checklist = _checklist_with(user, 3, 0)
    regret = Regret.objects.filter(checklist=checklist).order_by("id").first()

    client.patch(f"/api/checklists/{checklist.pk}/regrets/{regret.pk}/", {"success": True}, format="json")
    response = client.post("/api/checklists/", {"local_datetime": "2025-06-19T18:00:00+00:00"}, format="json")

    assert response.json()["score"] == 0.6667
    assert client.get("/api/checklists/").json()[0]["score"] == 0.6667


def test_refresh_recomputes_from_the_regrets_whatever_was_stored(user):
    checklist = _checklist_with(user, 4, 1)
    Checklist.objects.filter(pk=checklist.pk).update(score=Decimal("0.1234"))

    assert services.checklist_score_refresh(checklist=checklist) == Decimal("0.75")
    assert _stored_score(checklist) == Decimal("0.75")
