"""Strangers cannot lock a person out (OWASP device cookies), and no answer tells whether an address is a member's."""

import asyncio
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from aiosmtpd.controller import Controller
from werkzeug.serving import make_server

from community.extensions import db
from tests.conftest import csrf_token_from, fresh_schema, make_test_app, submit
from tests.core.test_mail import free_port
from tests.factories import PASSWORD, make_user


@pytest.fixture
def proxied_app(database_url, tmp_path):
    """The app as production runs it: behind one reverse proxy that says who each visitor is."""
    with fresh_schema(make_test_app(database_url, tmp_path, TRUSTED_PROXY_HOPS=1)) as app:
        yield app


def from_address(address: str) -> dict:
    return {"headers": {"X-Forwarded-For": address}}


def test_wrong_passwords_from_twenty_addresses_do_not_stop_the_owners_usual_browser(proxied_app):
    owner = make_user("owner@example.org", role="admin")
    owners_phone = proxied_app.test_client()
    submit(owners_phone, "/login", {"email": owner.email, "password": PASSWORD}, **from_address("198.51.100.7"))
    submit(owners_phone, "/login/code", {"code": owner.spare_recovery_codes.pop()}, **from_address("198.51.100.7"))
    submit(owners_phone, "/logout", {}, page="/", **from_address("198.51.100.7"))

    answers = []
    for attempt in range(20):
        stranger = proxied_app.test_client()
        answers.append(submit(stranger, "/login", {"email": owner.email, "password": f"guess {attempt}"},
                              **from_address(f"203.0.113.{attempt + 1}")).status_code)
    assert answers == [200] * 10 + [429] * 10, "strangers are still slowed down, whatever their address"

    # The owner, on the phone that has logged in before, from yet another address (mobile data):
    response = submit(owners_phone, "/login", {"email": owner.email, "password": PASSWORD},
                      **from_address("192.0.2.55"))
    assert response.status_code == 302 and response.location == "/login/code"
    assert submit(owners_phone, "/login/code", {"code": owner.spare_recovery_codes.pop()},
                  **from_address("192.0.2.55")).status_code == 302
    # A new browser with the right password is still held back while the account is under attack.
    newcomer = proxied_app.test_client()
    assert submit(newcomer, "/login", {"email": owner.email, "password": PASSWORD},
                  **from_address("192.0.2.99")).status_code == 429


def test_failures_from_a_known_browser_are_counted_for_that_browser_alone(proxied_app):
    owner = make_user("owner@example.org")
    shared_computer = proxied_app.test_client()
    submit(shared_computer, "/login", {"email": owner.email, "password": PASSWORD}, **from_address("198.51.100.7"))
    submit(shared_computer, "/logout", {}, page="/", **from_address("198.51.100.7"))
    for attempt in range(10):
        submit(shared_computer, "/login", {"email": owner.email, "password": "wrong"},
               **from_address(f"198.51.100.{attempt + 10}"))
    assert submit(shared_computer, "/login", {"email": owner.email, "password": PASSWORD},
                  **from_address("198.51.100.60")).status_code == 429
    # The guessing on that one browser did not block the owner's other, unknown, browser.
    assert submit(proxied_app.test_client(), "/login", {"email": owner.email, "password": PASSWORD},
                  **from_address("192.0.2.1")).status_code == 302


def test_a_device_cookie_for_another_account_or_a_forged_one_counts_for_nothing(proxied_app):
    owner = make_user("owner@example.org")
    attacker = make_user("attacker@example.org")
    browser = proxied_app.test_client()
    submit(browser, "/login", {"email": attacker.email, "password": PASSWORD}, **from_address("203.0.113.1"))
    submit(browser, "/logout", {}, page="/", **from_address("203.0.113.1"))
    cookie_name = proxied_app.config["DEVICE_COOKIE_NAME"]
    real_cookie = browser.get_cookie(cookie_name).value
    for attempt in range(10):
        submit(browser, "/login", {"email": owner.email, "password": "wrong"},
               **from_address(f"203.0.113.{attempt + 2}"))
    # The attacker's own device cookie did not get them a private counter for someone else's account...
    assert submit(proxied_app.test_client(), "/login", {"email": owner.email, "password": PASSWORD},
                  **from_address("192.0.2.1")).status_code == 429
    # ...and a made-up cookie is ignored, not trusted.
    forged = proxied_app.test_client()
    forged.set_cookie(cookie_name, real_cookie[:-2] + "xx")
    assert submit(forged, "/login", {"email": owner.email, "password": PASSWORD},
                  **from_address("192.0.2.2")).status_code == 429


def test_the_device_cookie_is_long_lived_private_and_names_no_account(app, client, login):
    user = make_user("private@example.org")
    login(user)
    cookie = client.get_cookie(app.config["DEVICE_COOKIE_NAME"])
    assert cookie.http_only and cookie.same_site == "Lax"
    assert "private" not in cookie.value and "example.org" not in cookie.value
    assert cookie.expires is not None and cookie.expires.year >= time.gmtime().tm_year


# No enumeration through timing: the reset email goes after the response ----------------------------------------

class HeldMailServer:
    """An SMTP server that does not answer until the test lets it: a mail server having a very slow day."""

    def __init__(self):
        self.release = threading.Event()
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


def test_asking_for_a_reset_answers_before_any_email_is_sent(database_url, tmp_path):
    handler = HeldMailServer()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    app = make_test_app(database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_USE_TLS=False)
    with app.app_context():
        db.drop_all()
        db.create_all()
        make_user("member@example.org")
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        token = csrf_token_from(opener.open(f"{base}/reset-password", timeout=5).read().decode())
        form = urllib.parse.urlencode({"email": "member@example.org", "csrf_token": token}).encode()
        # With the mail server holding every message, a reset that emailed inside the request would time out here.
        page = opener.open(urllib.request.Request(f"{base}/reset-password", data=form), timeout=5).read().decode()
        assert "member@example.org" in page and handler.received == []
        handler.release.set()
        deadline = time.monotonic() + 10
        while not handler.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert handler.received == ["member@example.org"], "the email still goes, just after the answer"
    finally:
        handler.release.set()
        server.shutdown()
        server.server_close()
        smtp.stop()
        with app.app_context():
            db.drop_all()
            db.engine.dispose()
