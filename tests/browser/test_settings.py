"""Settings in the browser: a password change ends the account's other sessions."""

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD


def test_a_password_change_signs_out_the_other_browser_only(signed_in, person, url):
    person("eve")
    laptop, phone = signed_in("eve"), signed_in("eve")
    laptop.get_by_role("link", name="Settings").click()
    laptop.get_by_label("Current password").fill("not the password")
    laptop.get_by_label("New password").fill("a brand new passphrase 7")
    laptop.get_by_role("button", name="Change password").click()
    expect(laptop.get_by_text("Current password is wrong.")).to_be_visible()

    laptop.get_by_label("Current password").fill(PASSWORD)
    laptop.get_by_label("New password").fill("short")
    laptop.get_by_role("button", name="Change password").click()
    expect(laptop.get_by_text("This password is too short.", exact=False)).to_be_visible()

    laptop.get_by_label("Current password").fill(PASSWORD)
    laptop.get_by_label("New password").fill("a brand new passphrase 7")
    laptop.get_by_role("button", name="Change password").click()
    expect(laptop.get_by_text("Password saved.")).to_be_visible()

    phone.goto(url("/today/"))
    expect(phone.get_by_role("button", name="Log in")).to_be_visible()  # back at the front door
    laptop.goto(url("/today/"))
    expect(laptop.get_by_role("heading", name="Today")).to_be_visible()  # still signed in here

    # The old password no longer works; the new one does.
    phone.get_by_label("Username").fill("eve")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_text("Invalid username or password.").first).to_be_visible()
    phone.get_by_label("Password").fill("a brand new passphrase 7")
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_role("heading", name="Today")).to_be_visible()


def test_log_out(signed_in, url):
    from rr.accounts import services

    services.account_create(username="leaver", password=PASSWORD)
    page = signed_in("leaver")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_have_text("You are logged out. See you tomorrow!")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.goto(url("/settings/"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_log_out_everywhere_else(signed_in, person, url):
    from rr.accounts import services

    person("morgan")
    api_tokens = services.tokens_for(person_user := services.account_login(username="morgan", password=PASSWORD))
    laptop, phone = signed_in("morgan", user_agent="Laptop browser"), signed_in("morgan", user_agent="Phone browser")
    laptop.get_by_role("link", name="Settings").click()
    where = laptop.get_by_role("region", name="Where you're signed in")
    expect(where.get_by_role("listitem")).to_have_count(3)  # two browsers and the app
    expect(where).to_contain_text("This browser")
    expect(where).to_contain_text("Phone browser")
    laptop.get_by_role("button", name="Log out everywhere else").click()
    expect(laptop.get_by_text("Logged out everywhere else (2 sessions ended).")).to_be_visible()
    expect(laptop.get_by_role("region", name="Where you're signed in").get_by_role("listitem")).to_have_count(1)

    phone.goto(url("/today/"))
    expect(phone.get_by_text("This session has ended: log in again.")).to_be_visible()
    laptop.goto(url("/today/"))
    expect(laptop.get_by_role("heading", name="Today")).to_be_visible()
    # The app's session ended too: its refresh token is refused.
    from rr.common.errors import Unauthorized

    try:
        services.token_refresh(refresh=api_tokens["refresh"])
    except Unauthorized:
        pass
    else:
        raise AssertionError(f"the app's session of {person_user} survived")


def test_export_downloads_the_accounts_json(signed_in, person):
    import json

    person("exporter")
    page = signed_in("exporter")
    page.get_by_label("New regret").fill("Back up my data")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("checkbox", name="Back up my data")).to_be_visible()
    page.get_by_role("link", name="Settings").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export my data").click()
    data = json.loads(open(download.value.path()).read())
    assert download.value.suggested_filename.endswith(".json")
    assert data["account"]["username"] == "exporter"
    assert [r["description"] for c in data["checklists"] for r in c["regrets"]] == ["Back up my data"]
    assert "password" not in json.dumps(data["account"]).replace("password_set", "")


def test_delete_my_account(signed_in, person, url):
    from rr.accounts.models import User

    person("quitter")
    page = signed_in("quitter")
    page.get_by_role("link", name="Settings").click()
    delete = page.get_by_role("region", name="Delete my account")
    delete.get_by_label("Password").fill("not it")
    delete.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Wrong password: nothing was deleted.")).to_be_visible()
    assert User.objects.filter(username="quitter").exists()
    delete = page.get_by_role("region", name="Delete my account")
    delete.get_by_label("Password").fill(PASSWORD)
    delete.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account and everything in it were deleted.")).to_be_visible()
    assert not User.objects.filter(username="quitter").exists()
    page.goto(url("/today/"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_a_legacy_account_without_a_password_is_claimed_with_a_recovery_code(page, url, person):
    from rr.accounts import services

    services.account_create(username="oldtimer")  # as the previous release made them: no password
    page.goto(url("/login/"))
    page.get_by_label("Username").fill("oldtimer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Invalid username or password.").first).to_be_visible()
    code = services.recovery_code_issue(username="oldtimer")  # what support hands over
    page.get_by_role("link", name="recover your account").click()
    expect(page.get_by_role("heading", name="Recover account")).to_be_visible()  # swapped in (hx-boost)
    page.get_by_label("Username").fill("oldtimer")
    page.get_by_label("Recovery code").fill("WRONG-CODE0-00000-00000")
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_role("button", name="Recover account").click()
    expect(page.get_by_text("Invalid username or recovery code.").first).to_be_visible()
    page.get_by_label("Recovery code").fill(code)
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_role("button", name="Recover account").click()
    expect(page.get_by_text("Your account is yours again")).to_be_visible()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
