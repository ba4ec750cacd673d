"""Static files under content-hashed names, kept by browsers for a year; gzip for static files and for public
pages, never for a response with a secret in it beside text an attacker could choose (BREACH)."""

import gzip
import re
from datetime import timedelta
from pathlib import Path

from flask import render_template_string, url_for

from community.assets import FINGERPRINTED
from community.cafe import schedule as cafe
from tests.core.test_every_page import _page_urls
from tests.site_tour import make_people

STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
IMMUTABLE = "public, max-age=31536000, immutable"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def _file_bytes(app, url: str) -> bytes:
    match = FINGERPRINTED.match(url.removeprefix("/static/"))
    return (Path(app.static_folder) / (match["stem"] + match["suffix"])).read_bytes()


def _static_urls_on_every_page(app, client, people) -> set[str]:
    found = set()
    for url in _page_urls(app, people):
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            found.update(STATIC_URL.findall(response.text))
    return found


def test_every_static_url_on_every_page_is_fingerprinted_and_kept_for_a_year(app, db, client, login):
    people = make_people()
    urls = _static_urls_on_every_page(app, client, people)
    assert login(people["admin"], the_client=client).status_code == 302
    urls |= _static_urls_on_every_page(app, client, people)
    # The site's stylesheet, the chat's scripts and the icon at least.
    assert len(urls) >= 5, urls
    for url in sorted(urls):
        assert FINGERPRINTED.match(url.removeprefix("/static/")), f"{url} has no content hash in its name"
        response = client.get(url)  # signed in: still the same public, year-long answer
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == IMMUTABLE, url
        assert response.data == _file_bytes(app, url), url
        assert "Set-Cookie" not in response.headers and "Cookie" not in response.vary, url


def test_a_changed_file_gets_a_new_name_and_the_old_name_is_not_kept(app, tmp_path):
    app.static_folder = str(tmp_path)
    style = tmp_path / "css" / "extra.css"
    style.parent.mkdir()
    style.write_text("body { color: black; }")
    with app.test_request_context():
        first = url_for("static", filename="css/extra.css")
        style.write_text("body { color: #111; background: white; }")
        second = url_for("static", filename="css/extra.css")
    assert re.fullmatch(r"/static/css/extra\.[0-9a-f]{12}\.css", first) and first != second
    client = app.test_client()
    current = client.get(second)
    assert current.data == style.read_bytes() and current.headers["Cache-Control"] == IMMUTABLE
    # A page from before the change still gets a stylesheet, but the browser is told to check again.
    old = client.get(first)
    assert old.status_code == 200 and old.data == style.read_bytes()
    assert "immutable" not in old.headers["Cache-Control"]


def test_the_plain_name_still_answers_and_is_revalidated(app, client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert response.data == (Path(app.static_folder) / "css" / "site.css").read_bytes()
    assert response.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/css/site.css", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert client.get("/static/css/nothing-here.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404


def test_static_files_are_gzipped_for_browsers_that_accept_it(app, client):
    with app.test_request_context():
        urls = [url_for("static", filename=name) for name in ("css/site.css", "css/diary.css", "js/autosave.js")]
    for url in urls:
        plain, packed = client.get(url), client.get(url, headers=GZIP)
        assert "Content-Encoding" not in plain.headers
        assert packed.headers["Content-Encoding"] == "gzip", url
        assert "Accept-Encoding" in packed.vary and "Accept-Encoding" in plain.vary
        assert gzip.decompress(packed.data) == plain.data == _file_bytes(app, url)
        assert len(packed.data) < len(plain.data)
        assert packed.headers["ETag"] != plain.headers["ETag"]


def test_public_pages_are_compressed_but_never_beside_a_csrf_token_or_when_signed_in(app, db, client, as_role):
    make_people()
    page = client.get("/about", headers=GZIP)
    assert page.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in page.vary
    assert b"</html>" in gzip.decompress(page.data)
    assert "Content-Encoding" not in client.get("/about").headers  # not asked for
    # A form carries a CSRF token beside what the visitor typed: kept uncompressed (BREACH).
    login_page = client.get("/login", headers=GZIP)
    assert login_page.status_code == 200 and 'name="csrf_token"' in login_page.text
    assert "Content-Encoding" not in login_page.headers
    as_role("member")
    for url in ("/about", "/account", "/forums"):
        response = client.get(url, headers=GZIP)
        assert response.status_code == 200 and "Content-Encoding" not in response.headers, url


def test_small_answers_are_left_as_they_are(client, db):
    response = client.get("/healthz", headers=GZIP)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers


def test_a_download_is_left_as_it_is_and_a_feed_is_compressed(client, db):
    today = cafe.london_today()
    wednesday = today + timedelta(days=(cafe.WEDNESDAY - today.weekday()) % 7)
    download = client.get(f"/cafe/calendar/{wednesday.isoformat()}.ics", headers=GZIP)
    assert "attachment" in download.headers["Content-Disposition"] and len(download.data) > 500
    assert "Content-Encoding" not in download.headers and download.text.startswith("BEGIN:VCALENDAR")
    feed = client.get("/cafe/calendar.ics", headers=GZIP)
    assert feed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(feed.data).startswith(b"BEGIN:VCALENDAR")


def test_pages_link_the_stylesheet_they_started_with_but_follow_an_edit_under_debug(app, tmp_path):
    """Pages keep a static file's address (a look at the file per link is a tenth of a small page's time); under
    `flask run --debug` someone editing the stylesheet sees the edit on the next page."""
    app.static_folder = str(tmp_path)
    style = tmp_path / "site.css"
    page = "{{ url_for('static', filename='site.css') }}"

    def linked_after_edit(colour: str) -> tuple[str, str]:
        style.write_text("body { color: black; }")
        with app.test_request_context():
            before = render_template_string(page)
            style.write_text(f"body {{ color: {colour}; }}")
            return before, render_template_string(page)

    before, after = linked_after_edit("#111")
    assert before == after and FINGERPRINTED.match(before.removeprefix("/static/"))
    assert app.test_client().get(after).status_code == 200  # the kept name still answers after the edit
    app.debug = True
    before, after = linked_after_edit("#222")
    assert before != after and FINGERPRINTED.match(after.removeprefix("/static/"))
