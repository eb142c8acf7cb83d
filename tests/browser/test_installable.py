"""The installable web app: manifest, service worker, the offline queue and the reminders switch."""

import json
import struct

import pytest
from playwright.sync_api import expect

from rr.checklists.models import Regret
from rr.notifications import push
from rr.notifications.models import PushSubscription, Reminder
from tests.notifications.peer import PushPeer


def png_size(body):
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", body[16:24])


def controlled(page):
    """Wait until the service worker is active and controls the page (it claims open pages)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def test_the_manifest_is_valid_and_the_service_worker_activates(page, url):
    page.goto(url("/"))
    href = page.locator("link[rel=manifest]").get_attribute("href")
    response = page.request.get(url(href))
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(response.body())
    assert manifest["name"] == "Regret Regret" and manifest["short_name"]
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/today/"
    assert manifest["theme_color"].startswith("#")
    sizes = {}
    for icon in manifest["icons"]:
        body = page.request.get(url(icon["src"])).body()
        assert icon["type"] == "image/png"
        sizes[icon["sizes"]] = png_size(body)
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}

    state = page.evaluate("() => navigator.serviceWorker.ready.then((r) => [r.active.state, r.scope])")
    assert state == ["activated", url("/")]
    controlled(page)


@pytest.fixture
def today_with(person, signed_in, checklist):
    def make(*descriptions):
        user = person()
        page = signed_in(user.username)
        from django.utils import timezone

        made = checklist(user, timezone.now())
        for description in descriptions:
            Regret.objects.create(checklist=made, description=description)
        page.reload()
        controlled(page)
        return user, page

    return make


def test_a_tick_made_offline_is_pending_then_saved_exactly_once(today_with):
    user, page = today_with("Call my sister", "Stretch")
    ticks = []
    page.on("request", lambda request: ticks.append(request) if request.url.endswith("/today/tick/") else None)
    expect(page.locator("#index")).to_have_text("1.0")

    page.context.set_offline(True)
    expect(page.get_by_role("status").filter(has_text="Offline")).to_be_visible()
    page.get_by_role("checkbox", name="Call my sister").check()

    row = page.locator("li", has=page.get_by_role("checkbox", name="Call my sister"))
    expect(row.get_by_text("pending")).to_be_visible()  # shown as waiting, not as saved
    expect(page.locator("#index")).to_have_text("1.0")
    assert not Regret.objects.get(description="Call my sister").success and ticks == []

    page.context.set_offline(False)

    expect(page.locator("#index")).to_have_text("0.5")
    expect(page.get_by_role("checkbox", name="Call my sister")).to_be_disabled()  # resolved on the server
    assert Regret.objects.get(description="Call my sister").success
    assert len(ticks) == 1
    assert (
        page.evaluate(
            """() => new Promise((resolve) => { const r = indexedDB.open("rr-offline", 1);
        r.onsuccess = () => { const q = r.result.transaction("actions").objectStore("actions").count();
        q.onsuccess = () => resolve(q.result); }; })"""
        )
        == 0
    )


def test_a_regret_added_offline_is_added_once_even_if_replayed(today_with):
    user, page = today_with("Stretch")
    page.context.set_offline(True)
    page.get_by_label("New regret").fill("Read ten pages")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("li", has_text="Read ten pages").get_by_text("pending")).to_be_visible()
    # The same queued request sent twice (a replay cut short after the server answered).
    queued = page.evaluate(
        """() => new Promise((resolve) => { const r = indexedDB.open("rr-offline", 1);
        r.onsuccess = () => { const q = r.result.transaction("actions").objectStore("actions").getAll();
        q.onsuccess = () => resolve(q.result); }; })"""
    )
    assert len(queued) == 1 and dict(queued[0]["fields"])["client_id"]

    page.context.set_offline(False)
    expect(page.get_by_role("checkbox", name="Read ten pages")).to_be_visible()
    page.evaluate(
        """(action) => fetch(action.url, {method: "POST", credentials: "same-origin",
        body: new URLSearchParams(action.fields),
        headers: {"X-CSRFToken": document.querySelector("input[name=csrfmiddlewaretoken]").value}})""",
        queued[0],
    )
    assert Regret.objects.filter(description="Read ten pages").count() == 1
    expect(page.locator("#index")).to_have_text("1.0")


def test_a_page_visited_before_opens_offline_with_a_banner(today_with, url):
    user, page = today_with("Stretch")
    page.goto(url("/history/"))
    page.goto(url("/today/"))
    page.context.set_offline(True)
    page.goto(url("/history/"))
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Offline")).to_be_visible()


# Debian's headless Chromium cannot register with a real push service (Google's, which it
# cannot reach here): PushManager.subscribe is replaced, in the page only, by one that makes
# browser-side keys with WebCrypto as a browser does and points at the tests' push peer.
# Everything else is the page's own code: the permission request, the subscription's
# registration with the server, the form.
FAKE_SUBSCRIBE = """
window.__permissionAsked = 0;
const ask = Notification.requestPermission.bind(Notification);
Notification.requestPermission = () => { window.__permissionAsked += 1; return ask(); };
PushManager.prototype.subscribe = async function (options) {
  sessionStorage.applicationServerKey = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const pair = await crypto.subtle.generateKey({name: "ECDH", namedCurve: "P-256"}, true, ["deriveBits"]);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const b64 = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const auth = b64(crypto.getRandomValues(new Uint8Array(16)));
  const endpoint = "ENDPOINT";
  return {endpoint, toJSON: () => ({endpoint, keys: {p256dh: b64(raw), auth}})};
};
"""


def test_the_reminders_switch_registers_a_push_subscription(person, new_context, url, settings):
    private, public = push.vapid_new_pair()
    settings.VAPID_PRIVATE_KEY = private
    with PushPeer(vapid_public_key=public, subject=settings.VAPID_SUBJECT) as peer:
        settings.WEBPUSH_TEST_ORIGIN = peer.origin
        endpoint = f"{peer.origin}/push/browser-1"
        user = person()
        context = new_context()
        context.grant_permissions(["notifications"], origin=url("/")[:-1])
        context.add_init_script(script=FAKE_SUBSCRIBE.replace("ENDPOINT", endpoint))
        page = context.new_page()
        from tests.browser.conftest import sign_in

        sign_in(page, url, user.username)
        page.get_by_role("link", name="Settings").click()
        controlled(page)
        assert page.evaluate("window.__permissionAsked") == 0  # never on page load

        page.get_by_label("Daily reminder").check()
        page.get_by_label("Reminder time").fill("21:30")
        page.get_by_role("button", name="Save reminder").click()

        expect(page.get_by_text("Daily reminder on, at 21:30")).to_be_visible()
        assert PushSubscription.objects.get(user=user).endpoint == endpoint
        reminder = Reminder.objects.get(user=user)
        assert reminder.enabled and reminder.local_time.strftime("%H:%M") == "21:30"
        assert page.evaluate("sessionStorage.applicationServerKey") == public  # the page reloaded since
