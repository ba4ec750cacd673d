"""Sessions and sign-in people can trust, in a real browser: log-out really ends the session (remember cookie
and all), "Log out everywhere else" reaches the other browser, two-factor set-up and log-in work end to end,
staff are sent to set up two-factor, and every page on the way passes axe at 320px and 1280px.

Set BROWSER_SHOTS=/some/dir to also save full-page screenshots (375px and 1280px) of the new pages.
"""

import os
import re
import time
import uuid
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from community.accounts import services as accounts
from community.accounts import sessions
from community.extensions import db, limiter
from tests import factories

pytestmark = pytest.mark.browser

PASSWORD = factories.PASSWORD
SHOTS_DIR = os.environ.get("BROWSER_SHOTS")


@pytest.fixture(autouse=True)
def _fresh_rate_limits(live_server):
    """Log-in attempts are limited per address, and every browser here is 127.0.0.1: start each test afresh."""
    with live_server.app.app_context():
        limiter.reset()


def _email(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:8]}@example.org"


def _new_user(live_server, kind="member", **kwargs):
    """A fresh account; returns (email, recovery codes or [])."""
    email = _email(kind)
    with live_server.app.app_context():
        user = factories.make_user(email, **kwargs)
        codes = list(getattr(user, "spare_recovery_codes", None) or [])
        db.session.remove()
    return email, codes


def _new_user_with_app(live_server):
    """A member with two-factor on; returns (email, secret, recovery codes). The set-up spent the current step."""
    email = _email("twofactor")
    with live_server.app.app_context():
        user = factories.make_user(email, two_factor_on=False)
        secret = factories.turn_on_two_factor(user)
        codes = list(user.spare_recovery_codes)
        db.session.remove()
    return email, secret, codes


class Authenticator:
    """An authenticator app that never offers a code for a time step already spent (the server refuses those)."""

    def __init__(self, secret: str, last_step: int | None = None):
        self.totp = pyotp.TOTP(secret)
        self.last_step = last_step

    def code(self) -> str:
        step = self.totp.timecode(time.time())
        if self.last_step is not None and self.last_step >= step:
            step = self.last_step + 1
            if step > self.totp.timecode(time.time()) + 1:  # beyond the one step of drift allowed: wait
                time.sleep(self.totp.interval - time.time() % self.totp.interval + 0.5)
                step = self.totp.timecode(time.time())
        self.last_step = step
        return self.totp.generate_otp(step)


def _nav(page):
    return page.get_by_role("navigation", name="Main")


def _log_in(page, live_server, email, remember=False):
    page.goto(live_server.url + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    if remember:
        page.get_by_label("Keep me logged in on this device for 30 days").check()
    page.get_by_role("button", name="Log in", exact=True).click()


def _expect_logged_in(page):
    expect(page.get_by_role("status").filter(has_text="You are logged in")).to_be_visible()
    expect(_nav(page).get_by_role("button", name="Log out")).to_be_visible()


def _expect_login_page(page, live_server):
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/login(\?.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def _shoot(page, name: str) -> None:
    """Full-page screenshots at 375px and 1280px wide, when BROWSER_SHOTS names a folder."""
    if not SHOTS_DIR:
        return
    folder = Path(SHOTS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for width, height in ((375, 812), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(before)


# 1. Log-out ends a remembered log-in ------------------------------------------------------------------------

def test_log_out_ends_a_remembered_login_and_deletes_the_cookie(page, live_server, check):
    email, _ = _new_user(live_server)
    _log_in(page, live_server, email, remember=True)
    _expect_logged_in(page)
    cookie_name = live_server.app.config["REMEMBER_COOKIE_NAME"]
    remember_cookies = [c for c in page.context.cookies() if c["name"] == cookie_name]
    assert remember_cookies, "ticking the box set no remember cookie"
    # Until log-out, the remember cookie alone logs this device in (a browser restart keeps only it).
    restarted = page.context.browser.new_context()
    try:
        restarted.add_cookies(remember_cookies)
        other = restarted.new_page()
        other.goto(live_server.url + "/account")
        expect(other).to_have_url(live_server.url + "/account")
    finally:
        restarted.close()

    _nav(page).get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status").filter(has_text="You are logged out")).to_be_visible()
    assert cookie_name not in {c["name"] for c in page.context.cookies()}, "the remember cookie outlived log-out"

    page.goto(live_server.url + "/account")
    _expect_login_page(page, live_server)
    with live_server.app.app_context():
        assert sessions.sessions_of(accounts.find_user_by_email(email)) == [], "log-out left the session row"
        db.session.remove()

    # A copy of the old remember cookie, put back, opens nothing: the log-in it stood for has ended.
    page.context.clear_cookies()
    page.context.add_cookies(remember_cookies)
    page.goto(live_server.url + "/account")
    _expect_login_page(page, live_server)
    check(page)


# 2. "Log out everywhere else" reaches the other browser ---------------------------------------------------

def test_log_out_everywhere_else_ends_the_other_browser(browser, live_server, check):
    email, _ = _new_user(live_server)
    context_a, context_b = browser.new_context(), browser.new_context()
    try:
        page_a, page_b = context_a.new_page(), context_b.new_page()
        _log_in(page_a, live_server, email)
        _expect_logged_in(page_a)
        _log_in(page_b, live_server, email, remember=True)
        _expect_logged_in(page_b)

        page_a.goto(live_server.url + "/account/sessions")
        expect(page_a.get_by_role("heading", level=1)).to_have_text("Where you’re logged in")
        devices = page_a.locator(".session-list > li")
        expect(devices).to_have_count(2)
        expect(page_a.locator(".session-list .tag")).to_have_text(["This device"])
        expect(page_a.get_by_role("button", name=re.compile("^Log out this device"))).to_have_count(1)
        check(page_a)
        _shoot(page_a, "sessions")

        page_a.get_by_role("button", name="Log out everywhere else").click()
        expect(page_a.get_by_role("status").filter(has_text="You are now logged out everywhere else")) \
            .to_be_visible()
        expect(page_a.locator(".session-list > li")).to_have_count(1)
        expect(page_a.get_by_role("button", name="Log out everywhere else")).to_have_count(0)
        check(page_a)

        # B's session and remember cookies are still in its jar, but they open nothing any more.
        page_b.goto(live_server.url + "/account")
        _expect_login_page(page_b, live_server)
        page_a.goto(live_server.url + "/account")
        expect(page_a).to_have_url(live_server.url + "/account")
        expect(_nav(page_a).get_by_role("button", name="Log out")).to_be_visible()
    finally:
        context_a.close()
        context_b.close()


def test_log_out_this_device_ends_only_that_one(browser, live_server):
    email, _ = _new_user(live_server)
    context_a, context_b = browser.new_context(), browser.new_context()
    try:
        page_a, page_b = context_a.new_page(), context_b.new_page()
        for page in (page_a, page_b):
            _log_in(page, live_server, email)
            _expect_logged_in(page)
        page_a.goto(live_server.url + "/account/sessions")
        page_a.get_by_role("button", name=re.compile("^Log out this device")).click()
        expect(page_a.get_by_role("status").filter(has_text="That device is logged out")).to_be_visible()
        expect(page_a.locator(".session-list > li")).to_have_count(1)
        page_b.goto(live_server.url + "/account")
        _expect_login_page(page_b, live_server)
    finally:
        context_a.close()
        context_b.close()


# 3. A member sets up two-factor, then logs in with it -----------------------------------------------------

def test_member_sets_up_two_factor_and_logs_in_with_a_code(page, live_server, check):
    email, _ = _new_user(live_server)
    _log_in(page, live_server, email)
    _expect_logged_in(page)

    check(page, live_server.url + "/account/two-factor")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    page.get_by_role("link", name="Set up two-factor sign-in").click()

    # Log-in counts as a recent confirmation, so the set-up page opens straight away.
    expect(page).to_have_url(live_server.url + "/account/two-factor/setup")
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    check(page)
    _shoot(page, "two-factor-setup")
    qr_width = page.locator(".qr-code svg").bounding_box()["width"]
    assert 120 <= qr_width <= 300, f"the QR code is {qr_width}px wide at 1280px"

    secret = page.locator(".setup-key code").inner_text().replace(" ", "").strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    app = Authenticator(secret)

    # A wrong code first: an error summary, and the same key is still on the page.
    page.get_by_label("Code from your authenticator app").fill("000000" if app.totp.now() != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".error-summary")).to_be_focused()
    assert page.locator(".setup-key code").inner_text().replace(" ", "").strip() == secret
    check(page)

    page.get_by_label("Code from your authenticator app").fill(app.code())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.get_by_role("status").filter(has_text="Two-factor sign-in is on")).to_be_visible()
    codes = page.locator(".recovery-codes li code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    assert all(re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", code) for code in codes), codes
    check(page)
    _shoot(page, "recovery-codes")

    # The status page now says it is on, with all ten codes left.
    page.get_by_role("link", name="I have kept them safe").click()
    check(page, live_server.url + "/account/two-factor")
    expect(page.get_by_text("Two-factor sign-in is on.")).to_be_visible()
    expect(page.get_by_text("10 of 10")).to_be_visible()

    # Log out, log in again: the password alone is not enough any more.
    _nav(page).get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status").filter(has_text="You are logged out")).to_be_visible()
    _log_in(page, live_server, email)
    expect(page).to_have_url(live_server.url + "/login/code")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    expect(_nav(page).get_by_role("button", name="Log out")).to_have_count(0)
    page.goto(live_server.url + "/account")
    _expect_login_page(page, live_server)

    _log_in(page, live_server, email)
    expect(page).to_have_url(live_server.url + "/login/code")
    check(page)
    _shoot(page, "login-code")
    page.get_by_label("Code from your authenticator app").fill(app.code())
    page.get_by_role("button", name="Log in", exact=True).click()
    _expect_logged_in(page)
    check(page)

    # A recovery code works once, and the page says how many are left.
    _nav(page).get_by_role("button", name="Log out").click()
    _log_in(page, live_server, email)
    page.get_by_label("Code from your authenticator app").fill(codes[0])
    page.get_by_role("button", name="Log in", exact=True).click()
    _expect_logged_in(page)
    expect(page.get_by_text("You have 9 left")).to_be_visible()
    _nav(page).get_by_role("button", name="Log out").click()
    _log_in(page, live_server, email)
    page.get_by_label("Code from your authenticator app").fill(codes[0])
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".error-summary")).to_contain_text("That code is not right")
    check(page)


# 4. Staff without two-factor are sent to set it up -------------------------------------------------------

def test_staff_without_two_factor_are_sent_to_set_it_up(page, live_server, check):
    email, _ = _new_user(live_server, kind="admin", role="admin", two_factor_on=False)
    _log_in(page, live_server, email)
    expect(page).to_have_url(live_server.url + "/account/two-factor")
    expect(page.get_by_role("status").filter(has_text="One more step for staff")).to_be_visible()
    expect(page.get_by_text("Moderators and admins need it on before the staff pages open.")).to_be_visible()
    check(page)

    for path in ["/admin", "/admin/members"]:
        page.goto(live_server.url + path)
        expect(page).to_have_url(live_server.url + "/account/two-factor")
        expect(page.get_by_text("Set up two-factor sign-in first, then that page opens")).to_be_visible()
    check(page)


def test_staff_with_two_factor_reach_admin_after_the_code(page, live_server):
    email, codes = _new_user(live_server, kind="admin", role="admin")
    _log_in(page, live_server, email)
    expect(page).to_have_url(live_server.url + "/login/code")
    page.get_by_label("Code from your authenticator app").fill(codes[0])
    page.get_by_role("button", name="Log in", exact=True).click()
    _expect_logged_in(page)
    page.goto(live_server.url + "/admin")
    expect(page).to_have_url(live_server.url + "/admin")


# 5. The new pages pass axe at both widths ----------------------------------------------------------------

def test_new_account_pages_pass_axe(page, live_server, check):
    # Two-factor off: the status page, the sessions page with one device, and the confirm page (password only).
    email, _ = _new_user(live_server)
    _log_in(page, live_server, email)
    _expect_logged_in(page)
    for path in ["/account/two-factor", "/account/sessions", "/account/confirm"]:
        check(page, live_server.url + path)
    expect(page.get_by_label("Code from your authenticator app")).to_have_count(0)

    # A wrong password on the confirm page: error summary, at both widths.
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_title(re.compile("^Error: "))
    check(page)
    _nav(page).get_by_role("button", name="Log out").click()

    # Two-factor on: /login/code (and its error), the status page, and the confirm page with a code field.
    email, secret, codes = _new_user_with_app(live_server)
    with live_server.app.app_context():
        last_step = accounts.find_user_by_email(email).totp_last_step
        db.session.remove()
    app = Authenticator(secret, last_step)
    _log_in(page, live_server, email)
    expect(page).to_have_url(live_server.url + "/login/code")
    check(page)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_title(re.compile("^Error: "))
    check(page)
    page.get_by_label("Code from your authenticator app").fill(app.code())
    page.get_by_role("button", name="Log in", exact=True).click()
    _expect_logged_in(page)
    for path in ["/account/two-factor", "/account/confirm"]:
        check(page, live_server.url + path)
    expect(page.get_by_label("Code from your authenticator app")).to_be_visible()

    # The confirm page opens sudo mode with a recovery code too, then goes where it was asked to.
    page.goto(live_server.url + "/account/confirm?next=/account/two-factor")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(codes[0])
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(live_server.url + "/account/two-factor")

    # "Make new recovery codes" (sudo mode is open) shows a fresh ten.
    page.get_by_role("button", name="Make new recovery codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    check(page)

    # Turning it off leaves the "off" status page with a banner.
    page.goto(live_server.url + "/account/two-factor")
    page.get_by_role("button", name="Turn off two-factor sign-in").click()
    expect(page.get_by_role("status").filter(has_text="Two-factor sign-in is off")).to_be_visible()
    check(page)


# 6. Emailed links: a reset that asks for the code, and an email change confirmed with a button ----------------

def test_a_reset_for_a_two_factor_account_asks_for_the_code_on_the_same_page(page, live_server, check):
    email, secret, _codes = _new_user_with_app(live_server)
    page.goto(live_server.url + "/reset-password")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a reset link").click()
    page.goto(live_server.outbox.wait_for_link(email, "Reset your password", "/reset-password/"))
    check(page)
    page.get_by_label("New password").fill("a brand new pass phrase")
    page.get_by_role("button", name="Save my new password").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    check(page)
    page.get_by_label("New password").fill("a brand new pass phrase")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Save my new password").click()
    expect(page.get_by_role("status").filter(has_text="Your password is changed")).to_be_visible()


def test_an_email_change_is_confirmed_with_a_button(page, live_server, check):
    email, _ = _new_user(live_server)
    _log_in(page, live_server, email)
    page.goto(live_server.url + "/account/email")
    new_address = _email("moved")
    page.get_by_label("New email address").fill(new_address)
    page.get_by_role("button", name="Send a confirmation link").click()
    page.goto(live_server.outbox.wait_for_link(new_address, "Confirm your new email address", "/account/email/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Use this email address")
    check(page)
    page.get_by_role("button", name="Use this email address").click()
    expect(page.get_by_role("status").filter(has_text=f"Your email address is now {new_address}")).to_be_visible()
