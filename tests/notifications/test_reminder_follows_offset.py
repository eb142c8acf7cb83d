"""A reminder that follows the checklists' offset moves when a checklist is made at a new one:
migration 0019's trigger, held to rr/notifications/services.py reminder_next_due's instants."""

from datetime import UTC, datetime, time, timedelta, timezone

import pytest
from django.utils import timezone as dj_timezone

from rr.checklists import days
from rr.checklists import services as checklist_services
from rr.notifications import services
from rr.notifications.models import Reminder

pytestmark = pytest.mark.django_db

SENTINEL = datetime(2000, 1, 1, tzinfo=UTC)


def made_at(user, offset, *, days_back=0):
    """A checklist of `user` made now (or `days_back` days ago) at UTC offset `offset` minutes."""
    at = dj_timezone.now().astimezone(timezone(timedelta(minutes=offset))) - timedelta(days=days_back)
    checklist_services.checklist_for_day(user=user, local_datetime=at)


def reminder(user, local_time, *, utc_offset_minutes=None, last_sent_on=None):
    services.reminder_set(user=user, enabled=True, local_time=local_time, utc_offset_minutes=utc_offset_minutes)
    Reminder.objects.filter(user=user).update(next_due_at=SENTINEL, last_sent_on=last_sent_on)


@pytest.mark.parametrize("local_time", [time(0, 0), time(12, 30), time(23, 59)])
@pytest.mark.parametrize("last_sent", [None, "today", "yesterday"])
# Eastwards: a move west across a day already closed where the last checklist was made is
# refused by checklist_for_day (tests/checklists/test_day_close.py), whatever the reminder.
@pytest.mark.parametrize("before, after", [(None, 540), (0, 540), (-300, 0), (-720, 840), (330, 345)])
def test_a_checklist_at_a_new_offset_moves_the_reminder_to_reminder_next_due(
    make_user, local_time, last_sent, before, after
):
    user = make_user()
    if before is not None:
        made_at(user, before, days_back=3)
    sent_on = {"today": 0, "yesterday": 1}
    last_sent_on = None
    if last_sent is not None:
        last_sent_on = days.today_at(after, dj_timezone.now()) - timedelta(days=sent_on[last_sent])
    reminder(user, local_time, last_sent_on=last_sent_on)
    start = dj_timezone.now()

    made_at(user, after)

    end = dj_timezone.now()
    expected = {
        services.reminder_next_due(local_time=local_time, offset=after, last_sent_on=last_sent_on, now=now)
        for now in (start, end)
    }
    assert Reminder.objects.get(user=user).next_due_at in expected


def test_a_checklist_at_the_same_offset_leaves_the_reminder_where_it_is(make_user):
    user = make_user()
    made_at(user, 120, days_back=3)
    reminder(user, time(21, 0))  # e.g. moved to tomorrow because today was kept

    made_at(user, 120)

    assert Reminder.objects.get(user=user).next_due_at == SENTINEL


def test_a_reminder_with_its_own_offset_or_disabled_does_not_move(make_user):
    own, off = make_user(), make_user()
    reminder(own, time(21, 0), utc_offset_minutes=60)
    services.reminder_set(user=off, enabled=False, local_time=time(21, 0))

    made_at(own, 540)
    made_at(off, 540)

    assert Reminder.objects.get(user=own).next_due_at == SENTINEL
    assert Reminder.objects.get(user=off).next_due_at is None


def test_a_checklist_without_an_offset_moves_nothing(make_user):
    """The previous release's checklists carry no offset: the trigger passes over them."""
    from rr.checklists.models import Checklist

    user = make_user()
    made_at(user, 0, days_back=3)
    reminder(user, time(21, 0))

    Checklist.objects.create(user=user, created_at=dj_timezone.now())

    assert Reminder.objects.get(user=user).next_due_at == SENTINEL
