"""What a newcomer does in a real browser: sign up, confirm, log in, read, log out; and what every public page
must offer anyone: no axe violations at 320px and 1280px, no sideways scrolling, a skip link, and working
forms without JavaScript."""

import contextlib
import re
import uuid

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from community.pages.services import CONTENT_DIR, content_sources, read_content_file
from tests import factories

pytestmark = pytest.mark.browser

CSF_PAGE_TITLE = read_content_file(CONTENT_DIR / "understanding-csf-leaks.md").title
PASSWORD = "correct horse battery staple"


def _nav(page):
    return page.get_by_role("navigation", name="Main")



def _fill_login(page, email: str, password: str) -> None:
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_newcomer_signs_up_verifies_logs_in_reads_and_logs_out(page, live_server, check):
    email = f"newcomer-{uuid.uuid4().hex[:10]}@example.org"

    # Home, then the header's Sign up link.
    check(page, live_server.url + "/")
    _nav(page).get_by_role("link", name="Sign up", exact=True).click()
    expect(page).to_have_url(live_server.url + "/signup")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    check(page)

    page.get_by_label("Email address").fill(email)
    page.get_by_label("Display name").fill("Newcomer")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()

    # The same page whether or not the address had an account: nothing tells a stranger who is a member.
    expect(page).to_have_url(live_server.url + "/signup")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_text(email)).to_be_visible()
    check(page)

    # The link from the email confirms the address and invites a log-in.
    link = live_server.outbox.wait_for_link(email, "Confirm your email address")
    assert link.startswith(live_server.url + "/verify/"), link
    page.goto(link)
    expect(page).to_have_url(live_server.url + "/login")
    expect(page.get_by_role("status").filter(has_text="Your email address is confirmed")).to_be_visible()
    check(page)
    _fill_login(page, email, PASSWORD)
    expect(page.get_by_role("status").filter(has_text="You are logged in")).to_be_visible()

    # Log out from the header.
    _nav(page).get_by_role("button", name="Log out").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("status").filter(has_text="You are logged out")).to_be_visible()
    check(page)

    # Log in again through the label-driven form.
    _nav(page).get_by_role("link", name="Log in", exact=True).click()
    expect(page).to_have_url(live_server.url + "/login")
    check(page)
    _fill_login(page, email, PASSWORD)
    expect(page.get_by_role("status").filter(has_text="You are logged in")).to_be_visible()
    expect(_nav(page).get_by_role("button", name="Log out")).to_be_visible()
    check(page)

    # The resource hub, then one page from it.
    _nav(page).get_by_role("link", name="Resources", exact=True).click()
    expect(page).to_have_url(live_server.url + "/resources")
    expect(page.get_by_role("heading", level=1)).to_have_text("Resource hub")
    check(page)

    page.get_by_role("link", name=CSF_PAGE_TITLE, exact=True).click()
    expect(page).to_have_url(live_server.url + "/resources/understanding-csf-leaks")
    expect(page.get_by_role("heading", level=1)).to_have_text(CSF_PAGE_TITLE)
    expect(page.locator("h1")).to_have_count(1)
    expect(page.get_by_role("heading", name="In short")).to_be_visible()
    check(page)

    # Log out: back on the home page, which offers Log in again.
    _nav(page).get_by_role("button", name="Log out").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(_nav(page).get_by_role("link", name="Log in", exact=True)).to_be_visible()
    expect(_nav(page).get_by_role("button", name="Log out")).to_have_count(0)
    check(page)


def test_failed_signup_shows_error_summary_with_focus_and_keeps_input(page, live_server, check):
    page.goto(live_server.url + "/signup")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_label("Display name").fill("Sam the Tester")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Create my account").click()

    expect(page).to_have_url(live_server.url + "/signup")
    assert page.title().startswith("Error: "), f"title is {page.title()!r}"

    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="There is a problem"))
    expect(summary).to_have_count(1)
    expect(summary).to_be_visible()

    # The summary takes focus as the page loads (autofocus is applied on the next frame, so wait for it).
    with contextlib.suppress(PlaywrightTimeoutError):  # the assertion below reports what does have focus
        page.wait_for_function("document.activeElement && document.activeElement.classList.contains("
                               "'error-summary')", timeout=3000)
    focused_class = page.evaluate("document.activeElement.className")
    assert "error-summary" in focused_class, (
        f"focus is on <{page.evaluate('document.activeElement.tagName')} class={focused_class!r}>, "
        "not on the error summary")

    # Every link in the summary jumps to the field it is about.
    links = summary.get_by_role("link")
    assert links.count() >= 1, "the error summary has no links to the fields"
    targets = []
    for index in range(links.count()):
        href = links.nth(index).get_attribute("href")
        assert href and href.startswith("#"), f"summary link {index} has href {href!r}"
        field = page.locator(href)
        expect(field).to_have_count(1)
        assert field.evaluate("el => el.tagName") in ("INPUT", "SELECT", "TEXTAREA"), href
        expect(field).to_have_attribute("aria-invalid", "true")
        targets.append(href)
    assert "#email" in targets, f"no summary link to the email field: {targets}"

    # What was typed comes back (never the password).
    expect(page.get_by_label("Display name")).to_have_value("Sam the Tester")
    expect(page.get_by_label("Email address")).to_have_value("not-an-email")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")

    check(page)


PUBLIC_PAGES = ["/", "/resources", *[f"/resources/{source.slug}" for source in content_sources()],
                "/need-help", "/login", "/signup", "/reset-password", "/membership"]


def test_every_public_page_passes_axe_at_both_widths(page, live_server, check):
    for path in PUBLIC_PAGES:
        check(page, live_server.url + path)
        expect(page.locator("h1")).to_have_count(1)
    check(page, live_server.url + "/no-such-page", expected_status=404)
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


def test_keyboard_user_can_skip_to_main_content(page, live_server):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")

    focused = page.evaluate("({text: document.activeElement.textContent.trim(),"
                            " href: document.activeElement.getAttribute('href')})")
    assert focused == {"text": "Skip to main content", "href": "#main"}, focused
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()

    box = skip_link.bounding_box()
    viewport = page.viewport_size
    assert box is not None and box["height"] > 0 and box["width"] > 1, f"skip link box {box}"
    assert box["x"] >= 0 and box["y"] >= 0, f"skip link starts off screen: {box}"
    assert box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"], (
        f"skip link runs past the viewport {viewport}: {box}")

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    assert page.evaluate("location.hash") == "#main"
    expect(page.locator("main#main")).to_be_focused()


def test_pages_work_with_javascript_disabled(new_context, live_server):
    with live_server.app.app_context():
        user = factories.make_user(display_name="Jo")
        email = user.email

    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    _nav(page).get_by_role("link", name="Log in", exact=True).click()
    expect(page).to_have_url(live_server.url + "/login")
    _fill_login(page, email, factories.PASSWORD)

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("status").filter(has_text="You are logged in")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Welcome back, Jo")
    expect(_nav(page).get_by_role("button", name="Log out")).to_be_visible()
