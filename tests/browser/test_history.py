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


def test_the_history_chart_renders_after_days_of_checklists(signed_in, person):
    user = person("historian")
    # Six days ago half done; the last three days (yesterday back) all done: a streak of 3.
    a_day(user, 6, done=1)
    for days_ago in (3, 2, 1):
        a_day(user, days_ago, done=2)
    page = signed_in("historian")
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()

    chart = page.get_by_role("img", name="Share done per day, last 30 days")
    expect(chart).to_be_visible()
    # The Today page made today's checklist (no regrets: the index 1.0, not kept).
    expect(chart.locator("rect.kept")).to_have_count(3)
    expect(chart.locator("rect.missed")).to_have_count(2)
    expect(chart.locator("rect")).to_have_count(30)
    expect(chart).to_have_accessible_description(
        "Regret index for the last 30 days: 3 kept (at or under your goal of 0.0), 25 without a checklist."
        " Average 0.3; best 0.0 on " + (datetime.now(UTC) - timedelta(days=3)).strftime("%d %B") + "."
    )
    stats = page.locator(".stats")
    expect(stats).to_contain_text("Current streak3 days")
    expect(stats).to_contain_text("Longest streak3 days")

    page.get_by_text("Table view").click()
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(31)  # header + 30 days
    six_days_ago = (datetime.now(UTC) - timedelta(days=6)).strftime("%a %-d %b %Y")
    expect(table.get_by_role("row", name=six_days_ago)).to_contain_text("0.51 of 2no")

    page.get_by_role("link", name="365 days").click()
    expect(page.get_by_role("img", name="Share done per day, last 365 days").locator("rect")).to_have_count(365)
