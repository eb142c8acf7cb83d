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
    expect(phone.get_by_text("Invalid username or password.")).to_be_visible()
    phone.get_by_label("Password").fill("a brand new passphrase 7")
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_role("heading", name="Today")).to_be_visible()


def test_log_out(signed_in, url):
    from rr.accounts import services

    services.account_create(username="leaver", password=PASSWORD)
    page = signed_in("leaver")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Sign up")).to_be_visible()
    page.goto(url("/settings/"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
