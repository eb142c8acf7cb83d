"""History in the browser: the chart, its text alternative and table, streaks after days of checklists."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from rr.checklists import services as checklist_services


def a_day(user, days_ago, *, done, total=2):
    when = datetime.now(UTC) - timedelta(days=days_ago)
    checklist, _ = checklist_services.checklist_for_day(user=user, local_datetime=when)
    for n in range(total):
        regret, _ = checklist_services.regret_add(user=user, checklist_id=checklist.pk, description=f"thing {n}")
        if n < done:
            checklist_services.regret_resolve(user=user, checklist_id=checklist.pk, regret_id=regret.pk, success=True)


def test_the_history_calendar_after_days_of_checklists(signed_in, person):
    user = person("historian")
    # Joined ten days ago (the days before it stay blank), a checklist already six days ago...
    user.date_joined = datetime.now(UTC) - timedelta(days=10)
    user.save(update_fields=["date_joined"])
    # Six days ago half done; the last three days (yesterday back) all done: a streak of 3.
    a_day(user, 6, done=1)
    for days_ago in (3, 2, 1):
        a_day(user, days_ago, done=2)
    page = signed_in("historian")  # the Today page makes today's checklist: no regrets yet
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()

    calendar = page.get_by_role("grid", name="Regret index calendar")
    expect(calendar).to_be_visible()
    days = calendar.locator("td[data-date]")
    expect(days).to_have_count(30)  # one cell per day of the window, whatever the weekdays
    expect(calendar.locator("td.kept")).to_have_count(3)
    expect(calendar.locator("td.missed")).to_have_count(1)
    # Today is in progress, not missed; the account is new, so the days before it are blank.
    today = calendar.locator("td.today")
    expect(today).to_have_count(1)
    expect(today).to_have_class("progress today")
    expect(today).to_have_attribute("aria-current", "date")
    today_date = datetime.now(UTC).date()
    expect(today).to_have_attribute("data-date", today_date.isoformat())
    expect(today).to_contain_text(f"{today_date:%A} {today_date.day} {today_date:%B %Y}: today, nothing listed yet")
    # Each day's text alternative says its date and verdict; the latest day is the last cell in date order.
    three_days_ago = datetime.now(UTC).date() - timedelta(days=3)
    expect(calendar.locator(f'td[data-date="{three_days_ago.isoformat()}"]')).to_contain_text(
        f"{three_days_ago:%A} {three_days_ago.day} {three_days_ago:%B %Y}: kept, 2 of 2 done"
    )
    expect(calendar.locator("td.before")).to_have_count(19)  # 11 to 29 days ago
    expect(calendar.locator("td.none")).to_have_count(6)
    expect(calendar).to_have_accessible_description(
        "The last 30 days against your goal (every regret done): 3 kept, 1 missed, 6 without a checklist,"
        " 19 before you joined; today is in progress. Average regret index 0.12; best 0.0 on "
        + (datetime.now(UTC) - timedelta(days=1)).strftime("%-d %B")
        + "."
    )
    stats = page.locator(".stats")
    expect(stats).to_contain_text("Current streak3 days")
    expect(stats).to_contain_text("Longest streak3 days")

    page.get_by_text("Table view").click()
    table = page.get_by_role("table", name="Each day of the last 30 days")
    expect(table.get_by_role("row")).to_have_count(31)  # header + 30 days
    six_days_ago = (datetime.now(UTC) - timedelta(days=6)).strftime("%a %-d %b %Y")
    expect(table.get_by_role("row", name=six_days_ago)).to_contain_text("0.51 of 2no")

    page.get_by_role("link", name="365 days").click()
    calendar = page.get_by_role("grid", name="Regret index calendar")
    expect(calendar.locator("td[data-date]")).to_have_count(365)
    expect(calendar.locator("td.today")).to_have_count(1)
