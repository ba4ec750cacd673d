"""The stylesheet is fetched once per visit: later pages take it from the browser's cache without asking the server
(its name carries a hash of its content, and it is served as `immutable` for a year)."""

import pytest

from tests.browser.conftest import serve

pytestmark = pytest.mark.browser


def test_a_second_page_fetches_no_stylesheet(tmp_path_factory, page):
    with serve(tmp_path_factory) as server:
        asked_for: list[str] = []
        inner = server.app.wsgi_app

        def counting(environ, start_response):
            asked_for.append(environ["PATH_INFO"])
            return inner(environ, start_response)

        server.app.wsgi_app = counting
        page.goto(server.url + "/")
        first = [path for path in asked_for if path.endswith(".css")]
        assert first, "the first page should load its stylesheet"
        asked_for.clear()
        for url in ("/about", "/need-help", "/"):
            page.goto(server.url + url)
        assert "/about" in asked_for, "the server should have been asked for the pages themselves"
        # Stylesheets and scripts (Chromium fetches the tab's icon its own way, sometimes past the cache).
        refetched = [path for path in asked_for if path.endswith((".css", ".js"))]
        assert not refetched, f"later pages should take these from the cache: {refetched}"
