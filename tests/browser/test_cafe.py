"""The Leaky Café room in real browsers, each member on their own server process (gunicorn -k gevent, sharing the
database and Redis: tests/cafe/processes.py): they chat; one goes offline, the other carries on, and when the first
comes back online they see what was said meanwhile. The room page, with messages, is axe-core clean at 320 px and
1280 px."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_nothing_hidden_shows, check_current_page
from tests.browser.test_journey import PASSWORD, _fill_login
from tests.cafe.processes import run_servers

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: long enough for a reconnect with Socket.IO's back-off (at most 5 s) and a catch-up (every 5 s)


@pytest.fixture
def servers(tmp_path, browser_type_launch_args):
    """Two café servers on one database and a private Redis, with a session open now. (Asking for the browser's
    launch arguments first skips this, before anything starts, where Chromium is missing.)"""
    with run_servers(count=2, tmp_path=tmp_path) as running:
        running.open_room()
        yield running


def enter_room(context, url: str, email: str):
    page = context.new_page()
    # Anything the page's Content Security Policy blocked (an inline script or style, a connection) shows here.
    page.problems = []
    page.on("console", lambda message: page.problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.goto(url + "/login")
    _fill_login(page, email, PASSWORD)
    expect(page.get_by_text("You are logged in")).to_be_visible()
    page.goto(url + "/cafe/room")
    expect(page.locator("#cafe-connection")).to_have_text("Connected", timeout=WAIT)
    return page


def say(page, words: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(words)
    box.press("Enter")
    # Confirmed by the server: the box empties only then, and the message is in the list with its id.
    expect(box).to_have_value("", timeout=WAIT)
    expect(page.locator("#cafe-messages > li[id^='m-']").filter(has_text=words)).to_have_count(1)


def test_two_members_on_two_servers_chat_and_nothing_is_lost_while_one_is_offline(browser, servers):
    tag = uuid.uuid4().hex[:6]
    _, ana_email = servers.make_member(f"Ana {tag}")
    _, ben_email = servers.make_member(f"Ben {tag}")
    ana_context = browser.new_context(viewport={"width": 375, "height": 800})
    ben_context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        ana = enter_room(ana_context, servers.urls[0], ana_email)
        ben = enter_room(ben_context, servers.urls[1], ben_email)
        ben_list = ben.locator("#cafe-messages")

        # Live, across processes (through Redis): Ana's message reaches Ben on the other server, and is announced.
        say(ana, "Hello Ben, lying flat tonight")
        expect(ben_list).to_contain_text("Hello Ben, lying flat tonight", timeout=WAIT)
        expect(ben.locator("#cafe-announce")).to_have_text(f"Ana {tag}: Hello Ben, lying flat tonight", timeout=WAIT)
        expect(ben.get_by_text("Who is here (2)")).to_be_visible(timeout=WAIT)

        # Ben replies to her with the message's Reply button.
        ben.locator("#cafe-messages > li").filter(has_text="Hello Ben").get_by_role("button", name="Reply").click()
        expect(ben.locator("#cafe-replying")).to_contain_text(f"Ana {tag}")
        expect(ben.get_by_label("Your message")).to_be_focused()
        say(ben, "Same here <b>honestly</b>")
        reply = ana.locator("#cafe-messages > li").filter(has_text="Same here <b>honestly</b>")
        expect(reply).to_contain_text(f"Replying to Ana {tag}", timeout=WAIT)
        # Words are text, never markup.
        expect(reply.locator("b")).to_have_count(0)

        # Ben's phone loses its connection; Ana carries on.
        ben_context.set_offline(True)
        expect(ben.locator("#cafe-connection")).to_have_text(
            re.compile("Reconnecting… your messages are safe|Chat is unavailable just now — trying again"),
            timeout=60_000)
        say(ana, "Are you still there, Ben?")
        say(ana, "I will save you a seat")

        # Back online: Ben reconnects and catches up on everything said meanwhile, in order.
        ben_context.set_offline(False)
        expect(ben.locator("#cafe-connection")).to_have_text("Connected", timeout=60_000)
        expect(ben_list).to_contain_text("I will save you a seat", timeout=WAIT)
        texts = ben.locator("#cafe-messages > li[id^='m-'] .cafe-body").all_inner_texts()
        assert texts == ["Hello Ben, lying flat tonight", "Same here <b>honestly</b>", "Are you still there, Ben?",
                         "I will save you a seat"], texts
        ids = [int(item_id[2:]) for item_id in
               ben.locator("#cafe-messages > li[id^='m-']").evaluate_all("items => items.map(i => i.id)")]
        assert ids == sorted(ids)

        # A reaction from Ben reaches Ana, pressed for Ben.
        hug = ben.locator("#cafe-messages > li").filter(has_text="I will save you a seat") \
            .get_by_role("button", name="Hug")
        hug.click()
        expect(hug).to_have_attribute("aria-pressed", "true", timeout=WAIT)
        expect(ana.locator("#cafe-messages > li").filter(has_text="I will save you a seat")
               .locator(".cafe-reaction-counts")).to_have_text("Hug 1", timeout=WAIT)

        # Redis away: the room still works, and says honestly that others' messages may be slow; then stops saying so.
        servers.redis.stop()
        delayed = "Connected. Messages from others may take a few seconds to arrive just now."
        expect(ben.locator("#cafe-connection")).to_have_text(delayed, timeout=WAIT)
        servers.redis.start()
        expect(ben.locator("#cafe-connection")).to_have_text("Connected", timeout=WAIT)

        # The room with messages, at 320 px and 1280 px: no accessibility violations, no sideways scrolling.
        check_current_page(ben)
        check_current_page(ana)
        # Ben's page saw connections fail while offline; nothing else went wrong on either page.
        assert not [text for text in ana.problems + ben.problems
                    if "Content Security Policy" in text or "Uncaught" in text], ana.problems + ben.problems
    finally:
        ana_context.close()
        ben_context.close()


def test_the_room_works_with_scripts_off(browser, servers):
    """The plain form and the server-rendered list, as where scripts are off or blocked."""
    _, email = servers.make_member("Cass")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 800})
    try:
        page = context.new_page()
        page.goto(servers.urls[0] + "/login")
        _fill_login(page, email, PASSWORD)
        page.goto(servers.urls[0] + "/cafe/room")
        # The script's own controls stay out of sight: they would do nothing here.
        assert_nothing_hidden_shows(page)
        expect(page.locator("#cafe-autoscroll")).to_be_hidden()
        page.get_by_label("Your message").fill("Posting without scripts")
        page.get_by_role("button", name="Send message").click()
        expect(page.locator("#cafe-messages")).to_contain_text("Posting without scripts")
        expect(page).to_have_url(re.compile(r"/cafe/room#latest$"))
        # (No axe run here: it needs scripts in the page. The same page with scripts on is checked above.)
    finally:
        context.close()


def test_a_host_and_a_member_slow_mode_crisis_help_delete_and_remove(browser, servers):
    """What the room's script does with the server's answers: words kept when slow mode refuses a message, the
    crisis panel shown and focused, the host told, a deleted message replaced for everyone, and a removed member
    shown why, with the way back to the café page."""
    tag = uuid.uuid4().hex[:6]
    _, dee_email = servers.make_member(f"Dee {tag}")
    with servers.app.app_context():
        from tests.factories import make_user
        host_email = make_user(role="moderator", display_name=f"Host {tag}", two_factor_on=False).email
    host_context = browser.new_context(viewport={"width": 1280, "height": 900})
    dee_context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        host = host_context.new_page()
        host.goto(servers.urls[0] + "/login")
        _fill_login(host, host_email, PASSWORD)
        host.goto(servers.urls[0] + "/cafe/room")
        expect(host.locator("#cafe-connection")).to_have_text("Connected", timeout=WAIT)
        dee = enter_room(dee_context, servers.urls[1], dee_email)

        # The host pins a topic and turns on slow mode; Dee sees both.
        host.get_by_label("Topic for this session (optional)").fill("Good days and bad days")
        host.get_by_role("button", name="Pin topic").click()
        host.get_by_label("Slow mode").select_option("30")
        host.get_by_role("button", name="Set slow mode").click()
        expect(host.locator("#cafe-host-status")).to_have_text(re.compile("Slow mode is on"), timeout=WAIT)
        expect(dee.locator("#cafe-topic")).to_have_text("Good days and bad days", timeout=WAIT)
        expect(dee.locator("#cafe-slow-line")).to_be_visible(timeout=WAIT)

        # Slow mode refuses Dee's second message: the reason, tied to the box, and the words still in it.
        say(dee, "A bad day today")
        box = dee.get_by_label("Your message")
        box.fill("And another thing")
        box.press("Enter")
        expect(dee.locator("#body-error")).to_contain_text("Slow mode is on", timeout=WAIT)
        expect(box).to_have_value("And another thing")
        expect(box).to_have_attribute("aria-invalid", "true")

        # Crisis wording is sent (hosts can see it); Dee is shown where to find help, with focus on it.
        host.get_by_label("Slow mode").select_option("0")
        host.get_by_role("button", name="Set slow mode").click()
        expect(dee.locator("#cafe-slow-line")).to_be_hidden(timeout=WAIT)
        box.fill("I want to die")
        box.press("Enter")
        expect(dee.locator("#help-now")).to_be_visible(timeout=WAIT)
        expect(dee.locator("#help-now")).to_be_focused()
        expect(host.locator("#cafe-host-alerts")).to_contain_text("may be in crisis", timeout=WAIT)
        check_current_page(host)

        # The host deletes Dee's first message: everyone sees the placeholder instead.
        host.once("dialog", lambda dialog: dialog.accept())
        host.locator("#cafe-messages > li").filter(has_text="A bad day today") \
            .get_by_role("button", name="Delete").click()
        expect(dee.locator("#cafe-messages")).to_contain_text("Removed by a host.", timeout=WAIT)
        expect(dee.locator("#cafe-messages")).not_to_contain_text("A bad day today")

        # Removed for the session: Dee is told why, the connection stays closed, and the café page is a link away.
        dee.get_by_label("Your message").fill("Unsent words")
        host.once("dialog", lambda dialog: dialog.accept())
        host.locator("#cafe-messages > li").filter(has_text="I want to die") \
            .get_by_role("button", name="Remove").click()
        expect(dee.locator("#cafe-ended")).to_contain_text("A host has asked you to leave", timeout=WAIT)
        expect(dee.locator("#cafe-ended")).to_be_focused()
        expect(dee.locator("#cafe-form")).to_be_hidden()
        expect(dee.get_by_role("link", name="Go to the café page")).to_be_visible()
        dee.wait_for_timeout(6000)   # longer than a reconnect and a catch-up: nothing comes back
        expect(dee.locator("#cafe-connection")).to_have_text("You have left the room.")
    finally:
        host_context.close()
        dee_context.close()
