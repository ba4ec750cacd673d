"""The forums in a real browser, as a member would use them: write a thread, reply, quote, react and search,
with axe-core clean at 320 px and 1280 px on every page along the way."""

import uuid

import pytest
from playwright.sync_api import expect

from community.extensions import db
from community.forums import services as forums
from community.moderation import services as moderation
from community.pages import services as pages
from tests import factories
from tests.browser.test_journey import PASSWORD, _fill_login

pytestmark = pytest.mark.browser


def test_a_member_writes_replies_quotes_reacts_and_searches(page, live_server, check):
    email = f"poster-{uuid.uuid4().hex[:8]}@example.org"
    other_email = f"friend-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        admin = factories.make_user(role="admin")
        # Dana and Ellis are established members here: no first posts held (tests/moderation covers holding).
        moderation.set_setting(admin, "held_first_posts", 0)
        category = forums.create_category(admin, f"Living with a leak {uuid.uuid4().hex[:4]}",
                                          "Day-to-day life, lying down included.")
        slug = category.slug
        friend = factories.make_member(other_email, display_name="Dana")
        pages.accept_guidelines(friend)
        thread = forums.create_thread(friend, category, "Blood patch tomorrow", "Any tips for the day after?")
        thread_id = thread.id
        factories.make_member(email, display_name="Ellis")
        db.session.remove()

    page.goto(live_server.url + "/login")
    _fill_login(page, email, PASSWORD)
    expect(page.get_by_text("You are logged in")).to_be_visible()

    # The forums list, then the category.
    check(page, live_server.url + "/forums")
    check(page, live_server.url + f"/forums/{slug}")

    # Starting a thread asks for the community guidelines once.
    page.get_by_role("link", name="Start a new thread").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("guidelines")
    check(page)
    page.get_by_role("button", name="I agree to the community guidelines").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a new thread")
    check(page)
    page.get_by_label("Title").fill("Lying flat helped me")
    page.get_by_label("Your post").fill("Two days **flat** after the patch made the difference for me.")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("Preview – not posted yet")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Post thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lying flat helped me")
    check(page)

    # Reply to Dana's thread by quoting her post, then send support.
    page.goto(live_server.url + f"/forums/t/{thread_id}")
    check(page)
    page.get_by_role("link", name="Quote").first.click()
    expect(page.get_by_label("Your reply")).to_contain_text("Any tips for the day after?")
    page.get_by_label("Your reply").press("End")
    page.get_by_label("Your reply").type("\n\nDrink plenty and rest flat. Thinking of you.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Drink plenty and rest flat.")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Sending support").first.click()
    expect(page.get_by_role("button", name="Sending support").first).to_have_attribute("aria-pressed", "true")
    check(page)

    # Search finds the new thread by a word in its body, highlighted.
    page.goto(live_server.url + "/search")
    check(page)
    page.get_by_label("Search the forums").fill("patch difference")
    page.get_by_label("Search the forums").press("Enter")
    expect(page.locator("mark").first).to_be_visible()
    expect(page.get_by_role("link", name="Lying flat helped me")).to_be_visible()
    check(page)

    # Dana hears about the quote.
    with live_server.app.app_context():
        from community.accounts import services as accounts
        assert accounts.find_user_by_email(other_email).unread_notifications >= 1
        db.session.remove()
