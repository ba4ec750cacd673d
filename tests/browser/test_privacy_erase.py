"""Erasing an account in a real browser: a member follows "erase your account" from Your account, is told what
is missing when they press the button too soon (their choice stays chosen), then erases it, lands on the home
page logged out with a calm goodbye, and cannot log in again. An admin's erasure page for a request made by
email is checked too. Every page on the way is axe-core clean at 320 px and 1280 px."""

import uuid

import pytest
from playwright.sync_api import expect

from community.accounts.models import User
from community.extensions import db
from tests import factories
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_a_member_erases_their_account(page, live_server, check):
    email = f"leaver-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        factories.make_member(email, display_name="Robin Leaver")
        db.session.remove()

    log_in(page, live_server, email)
    page.goto(live_server.url + "/account")
    page.get_by_role("link", name="erase your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase your account")
    check(page)

    page.get_by_label("Delete them").check()
    page.get_by_role("button", name="Erase my account").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Delete them")).to_be_checked()
    check(page)

    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Erase my account").click()
    expect(page.get_by_text("Your account has been erased")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()
    check(page)

    page.goto(live_server.url + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    with live_server.app.app_context():
        assert db.session.query(User).filter_by(email=email).first() is None
        db.session.remove()


def test_an_admins_erasure_page_for_a_request_by_email_is_clear_and_accessible(page, live_server, check):
    email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        code = factories.make_user(email, role="admin").spare_recovery_codes.pop()
        member_id = factories.make_member(display_name="Sam Asker").id
        db.session.remove()
    log_in(page, live_server, email, code=code)
    page.goto(f"{live_server.url}/admin/members/{member_id}")
    page.get_by_role("link", name="erase Sam Asker’s account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase Sam Asker’s account")
    check(page)
    page.get_by_label("Keep them, signed “a former member”").check()
    page.get_by_label("The request").fill("Emailed on 3 November; checked by replying to their address.")
    page.get_by_label("I have checked this request came from the member, and it cannot be undone").check()
    page.get_by_role("button", name="Erase this account").click()
    expect(page.get_by_text("The audit log calls them Former member")).to_be_visible()
    check(page)
