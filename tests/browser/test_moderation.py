"""Moderation in a real browser, as the people involved would live it: a member flags a post, a moderator hides it
with a reason, its author reads the notice and appeals, and a second moderator decides; axe-core clean at 320 px
and 1280 px on every page along the way."""

import uuid

import pytest
from playwright.sync_api import expect

from community.extensions import db
from community.forums import services as forums
from community.moderation import services as moderation
from community.pages import services as pages
from tests import factories
from tests.browser.conftest import log_in, log_out, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """Seven log-ins within a minute from one address would trip the log-in limit, so limits are off here."""
    with serve(tmp_path_factory, RATELIMIT_ENABLED=False) as server:
        yield server


def test_flag_hide_notice_appeal_and_a_second_moderator_decides(page, live_server, check):
    tag = uuid.uuid4().hex[:8]
    emails = {who: f"{who}-{tag}@example.org" for who in ("author", "flagger", "first-mod", "second-mod")}
    with live_server.app.app_context():
        admin = factories.make_user(role="admin")
        moderation.set_setting(admin, "held_first_posts", 0)
        category = forums.create_category(admin, f"Treatments {tag}", "Blood patches and more.")
        author = factories.make_member(emails["author"], display_name="Alex")
        pages.accept_guidelines(author)
        post = forums.create_thread(author, category, "What worked for me",
                                    "Anyone who still has headaches is just not trying hard enough.")
        thread_id = post.thread_id
        factories.make_member(emails["flagger"], display_name="Blair")
        first = factories.make_user(emails["first-mod"], role="moderator", display_name="Casey")
        second = factories.make_user(emails["second-mod"], role="moderator", display_name="Drew")
        # A recovery code works once: Casey logs in twice.
        codes = {"first-mod": first.spare_recovery_codes[0], "first-mod-again": first.spare_recovery_codes[1],
                 "second-mod": second.spare_recovery_codes[0]}
        db.session.remove()
    thread_url = f"{live_server.url}/forums/t/{thread_id}"

    # Blair flags Alex's post as unkind.
    log_in(page, live_server, emails["flagger"])
    check(page, thread_url)
    page.get_by_role("link", name="Flag").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Flag this forum post")
    check(page)
    page.get_by_role("button", name="Send to the moderators").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose why you are flagging this")
    check(page)
    page.get_by_label("Unkind or harassing").check()
    page.get_by_role("button", name="Send to the moderators").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for telling us")
    check(page)
    log_out(page)

    # Casey, a moderator, sees it in the queue and hides it with a reason Alex will read.
    log_in(page, live_server, emails["first-mod"], codes["first-mod"])
    expect(page.get_by_role("link", name="Moderation (1)")).to_be_visible()
    check(page, live_server.url + "/moderation")
    page.get_by_role("link", name="What worked for me").first.click()
    expect(page.get_by_text("Unkind or harassing")).to_be_visible()
    check(page)
    page.get_by_label("Hide it (the author sees your reason)").check()
    page.get_by_label("Reason", exact=True).fill("Please be gentle: everyone here is trying their best.")
    page.get_by_role("button", name="Save my decision").click()
    expect(page.get_by_text("Moderation (1)")).to_have_count(0)
    check(page)
    log_out(page)

    # Blair now sees only a placeholder.
    log_in(page, live_server, emails["flagger"])
    check(page, thread_url)
    expect(page.get_by_text("This post was hidden by a moderator.")).to_be_visible()
    expect(page.get_by_text("not trying hard enough")).to_have_count(0)
    log_out(page)

    # Alex reads the notice (notification, then the notices page) and appeals once.
    log_in(page, live_server, emails["author"])
    check(page, live_server.url + "/notifications")
    page.get_by_role("link", name="A moderator hid your forum post").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notices from moderators")
    expect(page.get_by_text("everyone here is trying their best").first).to_be_visible()
    check(page)
    page.get_by_role("link", name="Ask for this to be looked at again").first.click()
    check(page)
    page.get_by_label("Why should this be looked at again?").fill(
        "I was frustrated and wrote it badly. I have edited nothing; could it come back with an apology?")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_text("Appeal waiting").first).to_be_visible()
    check(page)
    log_out(page)

    # Casey cannot decide an appeal against her own decision.
    log_in(page, live_server, emails["first-mod"], codes["first-mod-again"])
    page.goto(live_server.url + "/moderation")
    page.get_by_role("link", name="What worked for me").first.click()
    expect(page.get_by_text("You made this decision, so another moderator must decide the appeal.")).to_be_visible()
    expect(page.get_by_role("button", name="Decide the appeal")).to_have_count(0)
    check(page)
    log_out(page)

    # Drew, a second moderator, upholds it; Alex sees the outcome.
    log_in(page, live_server, emails["second-mod"], codes["second-mod"])
    page.goto(live_server.url + "/moderation")
    page.get_by_role("link", name="What worked for me").first.click()
    check(page)
    page.get_by_label("Uphold: the decision stands").check()
    page.get_by_label("Why").fill(
        "The words could hurt someone having a hard day. You are welcome to post again kindly.")
    page.get_by_role("button", name="Decide the appeal").click()
    check(page)
    log_out(page)

    log_in(page, live_server, emails["author"])
    check(page, live_server.url + "/standing")
    expect(page.get_by_text("Appeal: decision stands").first).to_be_visible()
    expect(page.get_by_text("You are welcome to post again kindly").first).to_be_visible()
