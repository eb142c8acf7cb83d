"""Following each other in the browser: the index on Friends, networking off hides it."""

from playwright.sync_api import expect

from rr.checklists import services as checklist_services
from rr.network.models import Network
from tests.browser.conftest import PASSWORD


def a_day_at_one_third(user):
    """Three regrets, two ticked: the index 0.33 (through the services, as the API would)."""
    from datetime import UTC, datetime

    checklist, _ = checklist_services.checklist_for_day(user=user, local_datetime=datetime.now(UTC))
    regrets = [
        checklist_services.regret_add(user=user, checklist_id=checklist.pk, description=text)[0]
        for text in ("one", "two", "three")
    ]
    for regret in regrets[:2]:
        checklist_services.regret_resolve(user=user, checklist_id=checklist.pk, regret_id=regret.pk, success=True)


def friend_row(region, username):
    return region.get_by_role("listitem").filter(has=region.page.get_by_text(username, exact=True))


def test_a_second_person_follows_the_first_and_sees_the_index_until_networking_goes_off(signed_in, person):
    ann, ben = person("ann"), person("ben")
    a_day_at_one_third(ann)

    page = signed_in("ben")
    page.get_by_role("link", name="Friends").click()
    page.get_by_label("Follow username").fill("ann")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_text("You now follow ann.")).to_be_visible()
    following = page.get_by_role("region", name="Following")
    row = friend_row(following, "ann")
    expect(row).to_contain_text("0.33")
    expect(row).to_contain_text("you follow")
    assert Network.objects.filter(follower=ben, following=ann).exists()

    # Ann sees Ben among her followers, and switches networking off.
    ann_page = signed_in("ann")
    ann_page.get_by_role("link", name="Friends").click()
    followers = ann_page.get_by_role("region", name="Followers")
    expect(friend_row(followers, "ben")).to_contain_text("follows you")
    ann_page.get_by_role("link", name="Settings").click()
    ann_page.get_by_role("checkbox", name="Networking on").uncheck()
    ann_page.get_by_role("button", name="Save networking").click()
    expect(ann_page.get_by_text("Networking is off")).to_be_visible()
    expect(ann_page.get_by_role("checkbox", name="Networking on")).not_to_be_checked()

    page.reload()
    row = friend_row(page.get_by_role("region", name="Following"), "ann")
    expect(row).to_contain_text("hidden")
    expect(row).not_to_contain_text("0.33")

    # Unfollow, then a follow of someone with networking off is refused in words.
    row.get_by_role("button", name="Unfollow ann").click()
    expect(page.get_by_text("You no longer follow ann.")).to_be_visible()
    page.get_by_label("Follow username").fill("ann")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_text("ann does not allow networking.")).to_be_visible()
    page.get_by_label("Follow username").fill("nobody-here")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_text("No such user.")).to_be_visible()
    assert not Network.objects.filter(follower=ben, following=ann).exists()


def test_remove_a_follower(signed_in, person):
    cat, dan = person("cat"), person("dan")
    from rr.network import services as network_services

    network_services.network_follow(follower=dan, target=cat)
    page = signed_in("cat", PASSWORD)
    page.get_by_role("link", name="Friends").click()
    followers = page.get_by_role("region", name="Followers")
    friend_row(followers, "dan").get_by_role("button", name="Remove follower dan").click()
    expect(page.get_by_text("dan no longer follows you.")).to_be_visible()
    expect(page.get_by_role("region", name="Followers")).to_contain_text("Nobody follows you yet.")
    assert not Network.objects.filter(follower=dan, following=cat).exists()


def test_the_lists_are_paginated_like_the_api(signed_in, person, settings):
    from rr.web import pages

    star = person("star")
    from rr.network import services as network_services

    fans = [person(f"fan{n}") for n in range(5)]
    for fan in fans:
        network_services.network_follow(follower=fan, target=star)
    pages_size = pages.FRIENDS_PAGE_SIZE
    pages.FRIENDS_PAGE_SIZE = 2
    try:
        page = signed_in("star")
        page.get_by_role("link", name="Friends").click()
        seen = []
        for _ in range(3):
            followers = page.get_by_role("region", name="Followers")
            expect(followers.get_by_role("heading")).to_contain_text("5")
            seen += followers.locator(".name").all_inner_texts()
            more = page.get_by_role("link", name="More followers")
            if not more.count():
                break
            with page.expect_response(lambda response: "followers=" in response.url):
                more.click()
            expect(followers.locator(".name").first).not_to_have_text(seen[-2])
        assert seen == ["fan4", "fan3", "fan2", "fan1", "fan0"]  # newest first, each once
    finally:
        pages.FRIENDS_PAGE_SIZE = pages_size
