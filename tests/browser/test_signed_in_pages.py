"""Signed-in and admin pages meet the same bar as public ones: no axe violations at 320px and 1280px, no
sideways scrolling, even with the largest text setting (the equivalent of 200% zoom)."""

import uuid

import pytest
from playwright.sync_api import expect

from community.accounts import services as accounts
from community.extensions import db
from tests import factories
from tests.browser.test_journey import PASSWORD, _fill_login

pytestmark = pytest.mark.browser


# Staff accounts have two-factor on: their recovery codes, by email, for the code step of logging in.
_RECOVERY_CODES: dict[str, list[str]] = {}


def _new_account(live_server, role="registered", member=False):
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        user = factories.make_member(email) if member else factories.make_user(email, role=role)
        user_id = user.id
        _RECOVERY_CODES[email] = getattr(user, "spare_recovery_codes", [])
        db.session.remove()
    return email, user_id


def _log_in(page, live_server, email):
    page.goto(live_server.url + "/login")
    _fill_login(page, email, PASSWORD)
    if _RECOVERY_CODES.get(email):
        expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
        page.get_by_label("Code from your authenticator app").fill(_RECOVERY_CODES[email].pop())
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in")).to_be_visible()


def test_admin_screens_pass_axe_at_both_widths(page, live_server, check):
    admin_email, _ = _new_account(live_server, role="admin")
    _, member_id = _new_account(live_server, member=True)
    _log_in(page, live_server, admin_email)
    for path in ["/account", "/account/email", "/account/password", "/membership", "/lounge", "/admin",
                 "/admin/members", f"/admin/members/{member_id}", "/admin/pages",
                 "/admin/pages/arachnoid-blebs", "/admin/pages/arachnoid-blebs/history", "/admin/gift-codes",
                 "/admin/stripe-events", "/admin/gift-aid"]:
        check(page, live_server.url + path)

    # A new gift code is shown once; a person without membership redeems it.
    page.goto(live_server.url + "/admin/gift-codes")
    page.get_by_label("Who is it for").fill("A member's sister, by post")
    page.get_by_role("button", name="Make a gift code").click()
    expect(page.get_by_role("heading", name="Your new gift code")).to_be_visible()
    check(page)
    page.goto(live_server.url + "/admin/gift-aid")
    page.get_by_label("Day").first.fill("40")
    page.get_by_role("button", name="Download the claim (CSV)").click()
    expect(page).to_have_title("Error: " + page.title().removeprefix("Error: "))
    check(page)

    # The editor's preview, and a refused grant with its error summary.
    page.goto(live_server.url + "/admin/pages/arachnoid-blebs")
    page.get_by_label("Page text").fill("## A new section\n\nSome words.")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("Preview – not saved yet")).to_be_visible()
    check(page)
    page.goto(live_server.url + f"/admin/members/{member_id}")
    page.get_by_role("button", name="Grant membership").click()
    expect(page).to_have_title("Error: " + page.title().removeprefix("Error: "))
    check(page)


def test_a_person_redeems_a_gift_code(page, live_server, check):
    from community.membership import gifts

    email, _ = _new_account(live_server)
    with live_server.app.app_context():
        _, code = gifts.create_gift_code(None, "for the test")
        db.session.remove()
    _log_in(page, live_server, email)
    for path in ["/membership", "/membership/gift"]:
        check(page, live_server.url + path)
    page.get_by_label("Your gift code").fill("nope")
    page.get_by_role("button", name="Start my gift membership").click()
    expect(page).to_have_title("Error: " + page.title().removeprefix("Error: "))
    check(page)
    page.get_by_label("Your gift code").fill(code.lower())
    page.get_by_role("button", name="Start my gift membership").click()
    expect(page.get_by_text("You have a gift membership")).to_be_visible()
    check(page)


def test_largest_text_holds_at_320px(page, live_server, check):
    email, _ = _new_account(live_server, member=True)
    with live_server.app.app_context():
        user = accounts.find_user_by_email(email)
        accounts.update_profile(user, user.display_name, "", "Europe/London", "largest")
        db.session.remove()
    _log_in(page, live_server, email)
    for path in ["/", "/resources/navigating-healthcare", "/account", "/membership", "/need-help"]:
        check(page, live_server.url + path)
        font_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert font_size >= 27, f"{path}: body text is {font_size}px with the largest setting"
