"""The look and layout people meet on a phone and a desktop: a compact header whose menu works without
JavaScript, a footer that meets the bottom of the window, admin tables that stack on phones, and
screenshots of the main pages (in test-output/screenshots, for people to look at).

The header budget: at 375 x 740 with standard text the header ends by 148px (a fifth of the screen); with
the largest text it ends by 185px (a quarter).
"""

import pytest
from playwright.sync_api import expect

from community.accounts import services as accounts
from community.extensions import db
from tests.browser.conftest import assert_no_sideways_scroll
from tests.browser.test_signed_in_pages import _log_in, _new_account

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
HEADER_BUDGET = {"standard": 148, "largest": 185}


@pytest.fixture
def shots_dir(request):
    folder = request.config.rootpath / "test-output" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shoot(page, folder, name: str) -> None:
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.screenshot(path=str(folder / f"{name}-{size['width']}.png"), full_page=True)


def _header_bottom(page) -> float:
    box = page.locator("header.site-header").bounding_box()
    return box["y"] + box["height"]


def _nav_link(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def test_main_pages_pass_axe_and_are_photographed(page, live_server, check, shots_dir):
    for path, name in [("/", "home"), ("/resources/navigating-healthcare", "hub-page"), ("/signup", "signup"),
                       ("/membership", "membership")]:
        check(page, live_server.url + path)
        _shoot(page, shots_dir, name)

    # The menu, open on a phone, passes too.
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    page.locator(".site-menu > summary").click()
    expect(_nav_link(page, "Resources")).to_be_visible()
    page.screenshot(path=str(shots_dir / "menu-open-375.png"))
    check(page)

    admin_email, _ = _new_account(live_server, role="admin")
    _new_account(live_server, member=True)
    _log_in(page, live_server, admin_email)
    check(page, live_server.url + "/admin/members")
    _shoot(page, shots_dir, "admin-members")


def test_phone_header_fits_in_a_fifth_of_the_screen(page, live_server, record_property):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    standard = _header_bottom(page)

    email, _ = _new_account(live_server, member=True)
    with live_server.app.app_context():
        user = accounts.find_user_by_email(email)
        accounts.update_profile(user, user.display_name, "", "Europe/London", "largest")
        db.session.remove()
    _log_in(page, live_server, email)
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_class("text-largest")
    largest = _header_bottom(page)

    record_property("header_bottom_standard_px", round(standard))
    record_property("header_bottom_largest_px", round(largest))
    print(f"header bottom at 375x740: {standard:.0f}px standard text, {largest:.0f}px largest text")
    assert standard <= HEADER_BUDGET["standard"], f"header ends at {standard}px with standard text"
    assert largest <= HEADER_BUDGET["largest"], f"header ends at {largest}px with the largest text"
    # "Need help now?" is on screen, one tap away, at both sizes.
    expect(page.get_by_role("banner").get_by_role("link", name="Need help now?")).to_be_in_viewport()


@pytest.mark.parametrize(("path", "height"), [("/nowhere", DESKTOP["height"]), ("/login", 1400)])
def test_footer_meets_the_bottom_of_a_short_page(page, live_server, path, height):
    page.set_viewport_size({"width": DESKTOP["width"], "height": height})
    page.goto(live_server.url + path)
    box = page.locator("footer.site-footer").bounding_box()
    page_height = page.evaluate("document.documentElement.scrollHeight")
    assert page_height == height, f"{path} is {page_height}px tall in a {height}px window: a band or a scroll"
    assert abs(box["y"] + box["height"] - height) <= 1, f"footer ends at {box['y'] + box['height']}px, not {height}px"


def test_menu_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        menu = page.locator("details.site-menu")
        expect(menu).not_to_have_attribute("open", "")
        expect(_nav_link(page, "Resources")).to_be_hidden()
        expect(page.get_by_role("link", name="Need help now?").first).to_be_visible()

        page.get_by_text("Menu", exact=True).click()
        expect(_nav_link(page, "Resources")).to_be_visible()
        _nav_link(page, "Resources").click()
        expect(page).to_have_url(live_server.url + "/resources")

        # Wide: the links show inline, nothing to open, and "Menu" is gone.
        page.set_viewport_size(DESKTOP)
        expect(menu).not_to_have_attribute("open", "")
        expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
        expect(_nav_link(page, "Sign up")).to_be_visible()
        assert page.locator(".nav-list").bounding_box()["height"] < 60, "the nav links are not on one line"
        _nav_link(page, "Sign up").click()
        expect(page).to_have_url(live_server.url + "/signup")
    finally:
        context.close()


def test_log_out_is_in_the_phone_menu(page, live_server):
    email, _ = _new_account(live_server)
    _log_in(page, live_server, email)
    page.set_viewport_size(PHONE)
    log_out = page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out")
    expect(log_out).to_be_hidden()
    page.get_by_text("Menu", exact=True).click()
    log_out.click()
    expect(page.get_by_text("You are logged out")).to_be_visible()
    # Logged out: the menu (closed again on the new page) offers "Log in".
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Log in", include_hidden=True)).to_be_attached()


def test_admin_tables_stack_on_phones_and_spread_on_desktops(page, live_server, check):
    admin_email, _ = _new_account(live_server, role="admin")
    _log_in(page, live_server, admin_email)
    check(page, live_server.url + "/admin/members")

    page.set_viewport_size({"width": 320, "height": 800})
    first_cell = page.locator("table.data tbody td").first
    label = first_cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert "Name" in label, label
    expect(page.locator("table.data thead")).not_to_be_in_viewport()
    assert page.evaluate("document.querySelector('.table-wrap').scrollWidth <= "
                         "document.querySelector('.table-wrap').clientWidth"), "the table scrolls sideways"

    page.set_viewport_size(DESKTOP)
    expect(page.locator("body")).to_have_class("page-wide")
    assert page.locator("main .wrap").bounding_box()["width"] > 1000
    expect(page.get_by_role("columnheader", name="Email")).to_be_visible()


def test_a_wide_markdown_table_scrolls_inside_its_box_not_the_page(page, live_server):
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(live_server.url + "/resources/navigating-healthcare")
    # The hub's Markdown tables arrive wrapped like this; the CSS must keep them inside the page.
    page.evaluate("""() => {
        const wrap = document.createElement('div');
        wrap.className = 'table-wrap'; wrap.tabIndex = 0;
        wrap.setAttribute('role', 'region'); wrap.setAttribute('aria-label', 'Table');
        const cells = ['Lumbar puncture', 'Epidural blood patch', 'Fibrin glue', 'Surgical repair'];
        wrap.innerHTML = '<table><thead><tr>' + cells.map(c => '<th>' + c + '</th>').join('')
            + '</tr></thead><tbody><tr>' + cells.map(c => '<td>Notwithstanding ' + c + '</td>').join('')
            + '</tr></tbody></table>';
        document.querySelector('main h1').after(wrap);
    }""")
    assert_no_sideways_scroll(page, 320)
    assert page.evaluate("document.querySelector('main .table-wrap').scrollWidth > 320"), "the table did not widen"
