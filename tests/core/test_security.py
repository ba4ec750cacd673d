"""Security baseline: headers on every response, cookies, CSRF on every form, no caching of personal pages."""

import pytest

from community.accounts.models import User
from tests.conftest import make_test_app
from tests.factories import make_user
from tests.site_tour import fill_url

EXPECTED_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
                "frame-ancestors 'none'; object-src 'none'")
PUBLIC_URLS = ["/", "/resources", "/need-help", "/login", "/signup", "/reset-password", "/membership",
               "/healthz", "/static/css/site.css", "/no-such-page", "/lounge"]


def assert_security_headers(response):
    headers = response.headers
    assert headers["Content-Security-Policy"] == EXPECTED_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_every_response_carries_the_security_headers(client, url):
    assert_security_headers(client.get(url))


def test_logged_in_pages_are_never_cached_and_carry_the_headers(client, login):
    login(make_user())
    for url in ["/", "/account", "/membership", "/need-help"]:
        response = client.get(url)
        assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_no_page_has_inline_script_or_style(client, login):
    for url in ["/", "/login", "/signup", "/need-help", "/membership"]:
        text = client.get(url).text
        assert "<script" not in text and "style=" not in text and "<style" not in text


def test_session_cookie_is_httponly_and_lax(client):
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_https_sites_get_secure_host_cookies_and_hsts(tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("SITE_URL", "https://community.example.org")
    monkeypatch.setenv("SECRET_KEY", "a-real-production-secret-of-good-length")
    app = make_test_app(database_url, tmp_path)
    response = app.test_client().get("/login", base_url="https://community.example.org")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert app.config["REMEMBER_COOKIE_NAME"] == "__Host-remember" and app.config["REMEMBER_COOKIE_SECURE"]


def test_plain_http_sites_send_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


SIGNUP = {"email": "a@example.org", "display_name": "Bee", "password": "a fine long password"}


def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(client, db):
    response = client.post("/signup", data=SIGNUP, headers={"Origin": "http://localhost"})
    assert response.status_code == 400
    assert "Your form could not be sent" in response.text
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0
    # What they typed on our own page comes back so it is not lost; the password never does.
    assert "Bee" in response.text and "a fine long password" not in response.text


def test_another_site_cannot_put_its_words_on_our_error_page(client):
    words = {**SIGNUP, "display_name": "Call 0900 000000 for help"}
    response = client.post("/signup", data=words, headers={"Origin": "https://evil.example"})
    assert response.status_code == 400 and "0900 000000" not in response.text
    no_origin = client.post("/signup", data=words)
    assert "0900 000000" not in no_origin.text


def test_logged_in_forms_refuse_a_missing_token_too(client, login, db):
    user = make_user(display_name="Original")
    login(user)
    response = client.post("/account", data={"display_name": "Hacked", "time_zone": "UTC", "text_size": "large"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.display_name == "Original"


def test_every_post_route_requires_csrf(app, client):
    """Walk the URL map: no route accepting POST may act on a request without a token."""
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "static":
            continue
        # Any other parameter (a later feature's) is 1.
        url = fill_url(rule.rule, {"token": "x", "slug": "arachnoid-blebs", "category_slug": "living-with-a-leak"})
        response = client.post(url, data={})
        assert response.status_code in (302, 400), f"{url} answered {response.status_code}"
        if response.status_code == 302:
            # Only login-required routes may redirect, and only to the login or membership page.
            assert "/login" in response.location or "/membership" in response.location, url


def test_public_pages_may_be_indexed_and_everything_else_says_noindex(client, login):
    from community.pages import services as pages
    from tests.factories import make_member

    pages.seed_pages()
    for public in ("/", "/resources", "/resources/navigating-healthcare", "/about", "/privacy", "/need-help"):
        response = client.get(public)
        assert "X-Robots-Tag" not in response.headers, public
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    for private in ("/login", "/signup", "/membership", "/nowhere"):
        assert client.get(private).headers["X-Robots-Tag"] == "noindex, nofollow", private
    login(make_member())
    for signed_in in ("/", "/lounge", "/account"):
        assert client.get(signed_in).headers["X-Robots-Tag"] == "noindex, nofollow", signed_in
