"""Browser tests: Debian's chromium driven by Playwright against the app served on a real port.

The app runs on SQLite only (these tests are about the pages people see, not the database), served by
werkzeug in a background thread. Every page a test looks at is checked with axe-core at 320px and 1280px
wide, and at 320px it must not scroll sideways.
"""

import threading
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from community.extensions import db
from tests.conftest import Outbox, make_test_app, service_missing
from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage", "--no-sandbox",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
]
NARROW = {"width": 320, "height": 800}
WIDE = {"width": 1280, "height": 900}
BROWSER_DIR = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    """Everything under tests/browser is a browser test, whether or not its module says so."""
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        service_missing("Debian chromium is not installed")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_FLAGS}


# The app on a real port ---------------------------------------------------------------------------------

@contextmanager
def serve(tmp_path_factory, **overrides):
    """The app (with `overrides` in its config) on http://127.0.0.1:<free port>, with the hub pages loaded.

    No app context stays pushed while it runs: each request thread gets its own, as in production. Tests
    open short `with live_server.app.app_context():` blocks to set up or inspect data.
    """
    from community.pages.services import seed_pages

    tmp_path = tmp_path_factory.mktemp("browser")
    app = make_test_app(f"sqlite:///{tmp_path / 'browser.db'}", tmp_path, **overrides)
    with app.app_context():
        db.create_all()
        seed_pages()
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    # Email links are built on SITE_URL (community.mail.external_url), so point it at this server.
    app.config["SITE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=url, app=app,
                              outbox=Outbox(Path(app.config["MAIL_OUTBOX_DIR"])))
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app on a real port, for every test in a module."""
    with serve(tmp_path_factory) as server:
        yield server



# Logging in and out through the real forms ---------------------------------------------------------------------

def log_in(page, live_server, email, code=None, password=PASSWORD):
    """Through the log-in form (and the two-factor step with `code`, for staff), as a person would."""
    from playwright.sync_api import expect

    page.goto(live_server.url + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    if code:
        page.get_by_label("Code from your authenticator app").fill(code)
        page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_text("You are logged in")).to_be_visible()


def log_out(page):
    from playwright.sync_api import expect

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()


# Accessibility and small screens ---------------------------------------------------------------------------

def _describe_violations(violations: list[dict], url: str, width: int | None) -> str:
    where = f"{url} at {width}px wide" if width else url
    lines = [f"axe found {len(violations)} accessibility violation(s) on {where}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation.get('help')} "
                     f"[{len(violation['nodes'])} element(s)] {violation.get('helpUrl', '')}")
        for node in violation["nodes"][:3]:
            lines.append(f"    target: {node.get('target')}")
            lines.append(f"    html:   {node.get('html', '')[:300]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"    why:    {summary[:400]}")
    return "\n".join(lines)


def assert_no_axe_violations(page) -> None:
    """Run axe-core with its default rules (WCAG 2 A/AA and best practices) on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    width = (page.viewport_size or {}).get("width")
    assert not violations, _describe_violations(violations, page.url, width)


def assert_no_sideways_scroll(page, width: int = NARROW["width"]) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width + 1:
        culprits = page.evaluate(
            """(limit) => Array.from(document.querySelectorAll('body *'))
                 .filter(el => el.getBoundingClientRect().right > limit + 1)
                 .slice(0, 5)
                 .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                            + (el.className && typeof el.className === 'string'
                               ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                            + ' (right edge ' + Math.round(el.getBoundingClientRect().right) + 'px)')""",
            width)
        pytest.fail(f"{page.url} scrolls sideways at {width}px: scrollWidth is {scroll_width}px. "
                    f"Elements past the edge: {culprits}")


def assert_nothing_hidden_shows(page) -> None:
    """An element marked `hidden` (a control a script has yet to offer) is not on screen: a stylesheet rule that
    sets `display` would otherwise show it, and with scripts off it would do nothing."""
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('[hidden]'))
        .filter(el => getComputedStyle(el).display !== 'none')
        .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''))""")
    assert not shown, f"{page.url} shows elements marked hidden: {shown}"


def check_current_page(page) -> None:
    """Check the page as it stands (including any POST result or flash) at 320px, then at 1280px.

    Resizing instead of reloading keeps one-off state, like an error summary or a banner, on screen.
    """
    page.set_viewport_size(NARROW)
    assert_nothing_hidden_shows(page)
    assert_no_sideways_scroll(page)
    assert_no_axe_violations(page)
    page.set_viewport_size(WIDE)
    assert_no_axe_violations(page)


def check_page(page, url: str, expected_status: int | None = 200):
    """Open url at 320px wide, then check it at both widths. Returns the navigation response."""
    page.set_viewport_size(NARROW)
    response = page.goto(url)
    if expected_status is not None:
        assert response is not None and response.status == expected_status, (
            f"{url} answered {response.status if response else 'nothing'}, expected {expected_status}")
    check_current_page(page)
    return response


@pytest.fixture
def check():
    """check(page) checks the page as it is; check(page, url) opens url first."""

    def _check(page, url: str | None = None, expected_status: int | None = 200):
        if url is None:
            check_current_page(page)
            return None
        return check_page(page, url, expected_status)

    return _check
