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
    ann_page.get_by_role("button", name="Save settings").click()
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
    # A destructive one-click action asks first; nothing changed yet.
    expect(page.get_by_text("Remove dan from your followers?")).to_be_visible()
    assert Network.objects.filter(follower=dan, following=cat).exists()
    page.get_by_role("button", name="Remove follower dan").click()
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


def test_a_follow_request_is_accepted(signed_in, person):
    from rr.network import services as network_services

    gia, hal = person("gia"), person("hal")
    network_services.follow_approval_set(user=gia, on=True)
    hal_page = signed_in("hal")
    hal_page.get_by_role("link", name="Friends").click()
    hal_page.get_by_label("Follow username").fill("gia")
    hal_page.get_by_role("button", name="Follow", exact=True).click()
    expect(hal_page.get_by_text("You asked to follow gia")).to_be_visible()
    requests = hal_page.get_by_role("region", name="Follow requests")
    expect(requests.get_by_role("button", name="Cancel request to gia")).to_be_visible()
    assert not Network.objects.filter(follower=hal, following=gia).exists()

    gia_page = signed_in("gia")
    gia_page.get_by_role("link", name="Friends").click()
    gia_page.get_by_role("region", name="Follow requests").get_by_role("button", name="Accept hal").click()
    expect(gia_page.get_by_text("hal now follows you.")).to_be_visible()
    expect(friend_row(gia_page.get_by_role("region", name="Followers"), "hal")).to_contain_text("follows you")
    assert Network.objects.filter(follower=hal, following=gia).exists()

    hal_page.reload()
    expect(hal_page.get_by_role("region", name="Follow requests")).to_have_count(0)
    expect(friend_row(hal_page.get_by_role("region", name="Following"), "gia")).to_contain_text("you follow")


def test_a_block_hides_both_ways(signed_in, person):
    from rr.network import services as network_services

    ivy, jon = person("ivy"), person("jon")
    a_day_at_one_third(ivy)
    network_services.network_follow(follower=ivy, target=jon)
    network_services.network_follow(follower=jon, target=ivy)

    ivy_page = signed_in("ivy")
    ivy_page.get_by_role("link", name="Friends").click()
    friend_row(ivy_page.get_by_role("region", name="Following"), "jon").get_by_role("button", name="Block jon").click()
    expect(ivy_page.get_by_role("heading", name="Are you sure?")).to_be_visible()
    ivy_page.get_by_role("button", name="Block jon").click()
    expect(ivy_page.get_by_text("You blocked jon")).to_be_visible()
    expect(ivy_page.get_by_role("region", name="Following")).not_to_contain_text("jon")
    expect(ivy_page.get_by_role("region", name="Followers")).not_to_contain_text("jon")
    expect(ivy_page.get_by_role("region", name="Blocked")).to_contain_text("jon")
    assert not Network.objects.filter(follower=ivy, following=jon).exists()
    assert not Network.objects.filter(follower=jon, following=ivy).exists()

    jon_page = signed_in("jon")
    jon_page.get_by_role("link", name="Friends").click()
    expect(jon_page.get_by_role("region", name="Following")).not_to_contain_text("ivy")
    expect(jon_page.get_by_role("region", name="Followers")).not_to_contain_text("ivy")
    jon_page.get_by_label("Follow username").fill("ivy")
    jon_page.get_by_role("button", name="Follow", exact=True).click()
    expect(jon_page.get_by_role("status")).to_contain_text("No such user.")  # a block is not announced
    assert not Network.objects.filter(follower=jon, following=ivy).exists()


def test_nudge_a_friend(signed_in, person):
    from rr.network import services as network_services
    from rr.notifications.models import Nudge

    kim, lou = person("kim"), person("lou")
    a_day_at_one_third(lou)  # 0.33 is above lou's goal (0): not kept, so a nudge makes sense
    network_services.network_follow(follower=kim, target=lou)
    page = signed_in("kim")
    page.get_by_role("link", name="Friends").click()
    friend_row(page.get_by_role("region", name="Following"), "lou").get_by_role("button", name="Nudge lou").click()
    expect(page.get_by_text("You nudged lou.")).to_be_visible()
    expect(page.get_by_role("button", name="Nudge lou")).to_have_count(0)  # once a day
    assert Nudge.objects.filter(sender=kim, recipient=lou).count() == 1
