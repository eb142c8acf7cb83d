"""The daily reminder: GET/PATCH /api/reminders/ and manage.py send_reminders, delivered to a real push peer."""

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from django.core.management import call_command
from django.utils import timezone as dj_timezone

from rr.notifications import services
from rr.notifications.models import PushMessage, PushSubscription, Reminder
from tests.notifications.conftest import subscribe

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/api/push/subscriptions/"


def local(day, hh_mm, offset):
    """The UTC instant of `hh_mm` on local date `day` at `offset` minutes."""
    return datetime.combine(day, time.fromisoformat(hh_mm), tzinfo=timezone(timedelta(minutes=offset))).astimezone(UTC)


def test_get_answers_a_disabled_default_then_patch_sets_it(client):
    assert client.get("/api/reminders/").json() == {
        "enabled": False,
        "local_time": "20:00",
        "utc_offset_minutes": None,
        "next_at": None,
    }
    response = client.patch(
        "/api/reminders/", {"enabled": True, "local_time": "21:30", "utc_offset_minutes": 120}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["enabled"] is True and body["local_time"] == "21:30" and body["utc_offset_minutes"] == 120
    due = datetime.fromisoformat(body["next_at"].replace("Z", "+00:00"))
    assert due.astimezone(timezone(timedelta(hours=2))).time() == time(21, 30)
    assert client.get("/api/reminders/").json() == body
    off = client.patch("/api/reminders/", {"enabled": False}, format="json").json()
    assert off["enabled"] is False and off["next_at"] is None and off["local_time"] == "21:30"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"enabled": "yes"},
        {"local_time": "24:00"},
        {"local_time": "7:30"},
        {"local_time": "07:30:00"},
        {"local_time": 730},
        {"utc_offset_minutes": 841},
        {"utc_offset_minutes": -721},
        {"utc_offset_minutes": "60"},
        {"utc_offset_minutes": True},
        {"utc_offset_minutes": 1.5},
    ],
)
def test_bad_reminder_input_is_a_400(client, body):
    response = client.patch("/api/reminders/", body, format="json")
    assert response.status_code == 400, response.json()
    assert not Reminder.objects.exists()


def test_delivered_once_to_a_real_push_service(client, user, push_peer):
    endpoint_id = subscribe(client, push_peer)
    day = date(2025, 6, 19)
    services.reminder_set(
        user=user, enabled=True, local_time=time(21, 0), utc_offset_minutes=0, now=local(day, "08:00", 0)
    )

    services.reminders_send(now=local(day, "21:01", 0))
    services.reminders_send(now=local(day, "21:06", 0))

    delivered = push_peer.delivered(endpoint_id)
    assert [r.payload["title"] for r in delivered][:1] == ["Time to check your regrets"]
    first = delivered[0]
    assert first.payload["url"] == "/today/"
    assert first.claims["sub"] == "mailto:ops@regret.test" and first.claims["aud"] == push_peer.origin
    assert int(first.headers["ttl"]) > 0
    assert len(delivered) == 1 and not [r for r in push_peer.received if r.problem]
    assert not PushMessage.objects.exists()


@pytest.mark.parametrize("offset", [-720, -570, -60, 0, 330, 345, 780, 840])
@pytest.mark.parametrize("at", ["00:15", "21:00", "23:50"])
def test_due_at_the_local_time_at_every_offset(client, user, push_peer, offset, at):
    endpoint_id = subscribe(client, push_peer)
    day = date(2025, 6, 19)
    due = local(day, at, offset)
    services.reminder_set(
        user=user,
        enabled=True,
        local_time=time.fromisoformat(at),
        utc_offset_minutes=offset,
        now=due - timedelta(hours=1, minutes=5) if at != "00:15" else local(day, "00:00", offset),
    )
    assert Reminder.objects.get().next_due_at == due

    services.reminders_send(now=due - timedelta(minutes=1))
    assert push_peer.delivered(endpoint_id) == []
    services.reminders_send(now=due)
    assert len(push_peer.delivered(endpoint_id)) == 1
    assert Reminder.objects.get().last_sent_on == day  # the local date, not the UTC one
    # The rest of that local day: nothing more. Its next one: again.
    services.reminders_send(now=local(day, "23:59", offset))
    assert len(push_peer.delivered(endpoint_id)) == 1
    services.reminders_send(now=due + timedelta(days=1))
    assert len(push_peer.delivered(endpoint_id)) == 2
    assert Reminder.objects.get().last_sent_on == day + timedelta(days=1)


def test_the_local_date_changes_before_or_after_the_utc_one(make_user, client_of, push_peer):
    east, west = make_user(), make_user()
    east_id, west_id = subscribe(client_of(east), push_peer), subscribe(client_of(west), push_peer)
    before = datetime(2025, 6, 18, 12, 0, tzinfo=UTC)  # 02:00 on the 19th east, 00:00 on the 18th west
    # 07:00 on the 19th at +14:00 is 17:00 UTC on the 18th; 21:00 on the 19th at -12:00 is
    # 09:00 UTC on the 20th.
    services.reminder_set(user=east, enabled=True, local_time=time(7, 0), utc_offset_minutes=840, now=before)
    services.reminder_set(user=west, enabled=True, local_time=time(21, 0), utc_offset_minutes=-720, now=before)
    assert Reminder.objects.get(user=east).next_due_at == datetime(2025, 6, 18, 17, 0, tzinfo=UTC)

    services.reminders_send(now=datetime(2025, 6, 18, 17, 0, tzinfo=UTC))
    assert Reminder.objects.get(user=east).last_sent_on == date(2025, 6, 19)
    # West's 18th: 21:00 there is 09:00 UTC on the 19th.
    services.reminders_send(now=datetime(2025, 6, 19, 9, 0, tzinfo=UTC))
    assert Reminder.objects.get(user=west).last_sent_on == date(2025, 6, 18)
    services.reminders_send(now=datetime(2025, 6, 20, 8, 59, tzinfo=UTC))
    assert Reminder.objects.get(user=west).last_sent_on == date(2025, 6, 18)
    services.reminders_send(now=datetime(2025, 6, 20, 9, 0, tzinfo=UTC))
    assert Reminder.objects.get(user=west).last_sent_on == date(2025, 6, 19)
    assert len(push_peer.delivered(east_id)) == 2 and len(push_peer.delivered(west_id)) == 2


def test_follows_the_offset_of_the_latest_checklist(client, user, checklist):
    services.reminder_set(user=user, enabled=True, local_time=time(21, 0))
    at_utc = Reminder.objects.get().next_due_at
    assert at_utc.astimezone(UTC).time() == time(21, 0)  # no checklist yet: UTC
    tokyo = timezone(timedelta(hours=9))
    checklist(user, dj_timezone.now().astimezone(tokyo))
    due = Reminder.objects.get().next_due_at
    assert due.astimezone(tokyo).time() == time(21, 0)
    assert client.get("/api/reminders/").json()["utc_offset_minutes"] is None


def test_not_sent_when_today_is_kept(client, user, make_user, client_of, push_peer, checklist):
    zone = timezone(timedelta(hours=-5))
    now = dj_timezone.now()
    keeper, slacker = user, make_user()
    kept_id, open_id = subscribe(client, push_peer), subscribe(client_of(slacker), push_peer)
    checklist(keeper, now.astimezone(zone), total=2, resolved=2)
    checklist(slacker, now.astimezone(zone), total=2, resolved=1)
    for each in (keeper, slacker):
        services.reminder_set(user=each, enabled=True, local_time=time(0, 0), now=now)

    result = services.reminders_send(now=now)

    assert result["reminders"]["sent"] == 1 and result["reminders"]["kept"] == 1
    assert push_peer.delivered(kept_id) == [] and len(push_peer.delivered(open_id)) == 1
    # Kept: moved to tomorrow, not marked sent.
    reminder = Reminder.objects.get(user=keeper)
    assert reminder.last_sent_on is None and reminder.next_due_at > now


def test_a_410_removes_the_subscription(client, user, push_peer):
    gone_id = subscribe(client, push_peer, 410)
    kept_id = subscribe(client, push_peer)
    services.reminder_set(user=user, enabled=True, local_time=time(0, 0), utc_offset_minutes=0)

    services.reminders_send()

    assert len(push_peer.delivered(kept_id)) == 1
    assert [r.status for r in push_peer.received if r.endpoint_id == gone_id] == [410]
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [f"{push_peer.origin}/push/{kept_id}"]
    assert not PushMessage.objects.exists()


def test_a_404_removes_it_too(client, user, push_peer):
    subscribe(client, push_peer, 404)
    services.reminder_set(user=user, enabled=True, local_time=time(0, 0), utc_offset_minutes=0)
    services.reminders_send()
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize("failure", [500, 503, 429])
def test_a_failure_is_retried_later_and_then_delivered(client, user, push_peer, failure):
    endpoint_id = subscribe(client, push_peer, failure)
    services.reminder_set(user=user, enabled=True, local_time=time(0, 0), utc_offset_minutes=0)
    now = dj_timezone.now()

    first = services.reminders_send(now=now)

    assert first["pushes"]["retry"] == 1 and push_peer.delivered(endpoint_id) == []
    message = PushMessage.objects.get()
    assert message.attempts == 1 and message.next_attempt_at == now + timedelta(minutes=1)
    # Not before its back-off; then delivered, and the reminder itself was sent once.
    services.reminders_send(now=now + timedelta(seconds=30))
    assert push_peer.delivered(endpoint_id) == []
    retried = services.reminders_send(now=now + timedelta(minutes=1))
    assert retried["pushes"]["sent"] == 1 and retried["reminders"]["sent"] == 0
    assert len(push_peer.delivered(endpoint_id)) == 1
    assert not PushMessage.objects.exists() and PushSubscription.objects.exists()


def test_back_off_grows_and_gives_up(client, user, push_peer):
    subscribe(client, push_peer, *[500] * 10)
    services.reminder_set(user=user, enabled=True, local_time=time(0, 0), utc_offset_minutes=0)
    now = dj_timezone.now()
    services.reminders_send(now=now)
    waits = []
    while PushMessage.objects.exists():
        message = PushMessage.objects.get()
        waits.append(message.next_attempt_at - now)
        now = message.next_attempt_at
        services.reminders_send(now=now)
    assert waits == [timedelta(minutes=m) for m in (1, 4, 16, 64, 256)]
    assert PushSubscription.objects.exists()  # a failing service does not end the subscription


def test_a_redirect_is_not_followed(client, user, push_peer):
    endpoint_id = subscribe(client, push_peer, 307)
    services.reminder_set(user=user, enabled=True, local_time=time(0, 0), utc_offset_minutes=0)
    result = services.reminders_send()
    assert result["pushes"]["dropped"] == 1
    assert [r.endpoint_id for r in push_peer.received] == [endpoint_id]  # nothing reached /push/redirected


def test_the_command_sends_what_is_due_now(client, user, push_peer, capsys):
    endpoint_id = subscribe(client, push_peer)
    services.reminder_set(user=user, enabled=True, local_time=time(0, 0), utc_offset_minutes=0)
    call_command("send_reminders")
    call_command("send_reminders")
    assert len(push_peer.delivered(endpoint_id)) == 1
    assert capsys.readouterr().out.splitlines()[0].startswith("1 reminder(s) sent")
