"""With JavaScript on, errors are words in the page, never JSON; a failed tick is undone."""

from playwright.sync_api import expect

from rr.checklists import services as checklist_services
from tests.browser.test_today import add_regret


def test_an_htmx_500_shows_a_message_in_words_and_reverts_the_tick(signed_in, person, monkeypatch):
    person("unlucky")
    page = signed_in("unlucky")
    add_regret(page, "Stretch")

    def broken(**kwargs):
        raise RuntimeError("a bug in the tick")

    # The live server runs in this process: the tick's service fails as a bug would.
    monkeypatch.setattr(checklist_services, "regret_resolve", broken)
    answers = []

    def observe(route):
        answers.append(response := route.fetch())
        route.fulfill(response=response)

    page.route("**/today/tick/", observe)
    box = page.get_by_role("checkbox", name="Stretch")
    box.click()  # not check(): the box is unticked again as soon as the answer comes
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        "Something went wrong. We could not show this page. The error has been logged; please try again."
    )
    [answer] = answers
    assert answer.status == 500
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["hx-retarget"] == "#flash"
    expect(box).not_to_be_checked()  # what the page shows is what the server has
    expect(page.get_by_role("checkbox", name="Stretch")).to_be_enabled()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()  # the page is still there


def test_a_lost_connection_says_so_and_reverts_the_tick(signed_in, person):
    person("offline")
    page = signed_in("offline")
    add_regret(page, "Water the plants")
    page.route("**/today/tick/", lambda route: route.abort("internetdisconnected"))
    box = page.get_by_role("checkbox", name="Water the plants")
    box.click()
    expect(page.get_by_role("alert")).to_contain_text("No connection: nothing was saved.")
    expect(box).not_to_be_checked()
    expect(page.locator("#glance")).to_contain_text("0 of 1 done")

    page.unroute("**/today/tick/")
    box.check()  # back online: the next tick goes through and the message goes
    expect(page.locator("#glance")).to_contain_text("1 of 1 done")
    expect(page.get_by_role("alert")).to_have_count(0)


def test_a_boosted_link_to_a_missing_page_gets_the_message_not_json(signed_in, person):
    person("wanderer")
    page = signed_in("wanderer")
    page.evaluate(
        """() => {
            const link = document.createElement("a");
            link.href = "/today/nope/";
            link.textContent = "A broken link";
            document.querySelector("main").append(link);
            htmx.process(link);
        }"""
    )
    page.get_by_role("link", name="A broken link").click()  # hx-boost: an htmx request
    expect(page.get_by_role("alert")).to_contain_text("Page not found.")
    expect(page.locator("body")).not_to_contain_text('{"error"')
