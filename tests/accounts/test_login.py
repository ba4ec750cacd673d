"""Logging in and out: equal answers for unknown and wrong, fresh sessions, rate limits, remember me."""

import re

from tests.conftest import submit
from tests.factories import PASSWORD, make_user

WRONG_ANSWER = "The email address or password is not right"


def test_a_verified_person_logs_in_and_out(client, login):
    user = make_user(display_name="Ash")
    response = login(user)
    assert response.status_code == 302
    page = client.get("/")
    assert "Welcome back, Ash" in page.text and "Log out" in page.text
    response = submit(client, "/logout", {}, page="/")
    assert response.status_code == 302
    assert "You are logged out" in client.get("/").text
    assert client.get("/account").status_code == 302


def test_unknown_email_and_wrong_password_answer_alike(client):
    make_user("known@example.org")
    unknown = submit(client, "/login", {"email": "nobody@example.org", "password": PASSWORD})
    wrong = submit(client, "/login", {"email": "known@example.org", "password": "not the password"})
    assert unknown.status_code == wrong.status_code == 200
    assert WRONG_ANSWER in unknown.text and WRONG_ANSWER in wrong.text

    def main(response):
        text = re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]+"', "CSRF", response.text)
        return text.split("<main", 1)[1].replace("nobody@example.org", "EMAIL").replace("known@example.org", "EMAIL")

    assert main(unknown) == main(wrong)


def test_logout_needs_a_post_with_a_token(client, login):
    login(make_user())
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert "Log out" in client.get("/").text


def test_login_starts_a_fresh_session(client, login, app):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(make_user())
    with client.session_transaction() as session:
        assert "planted" not in session
        first_id = session["_user_id"]
    submit(client, "/logout", {}, page="/")
    login(make_user())
    with client.session_transaction() as session:
        assert session["_user_id"] != first_id


def test_next_only_goes_to_pages_on_this_site(client):
    user = make_user()
    data = {"email": user.email, "password": PASSWORD}
    inside = submit(client, "/login?next=/account", data)
    assert inside.location == "/account"
    submit(client, "/logout", {}, page="/")
    outside = submit(client, "/login?next=https://evil.example/", data)
    assert outside.location == "/"


def test_the_seventh_attempt_in_a_minute_gets_a_friendly_429(client):
    for _ in range(6):
        response = submit(client, "/login", {"email": "someone@example.org", "password": "guess"})
        assert response.status_code == 200
    response = submit(client, "/login", {"email": "someone@example.org", "password": "guess"})
    assert response.status_code == 429
    assert "Please wait a little while" in response.text
    assert "Retry-After" in response.headers


def test_repeated_failures_on_one_account_slow_down_from_any_address(app, client):
    user = make_user("target@example.org")
    for attempt in range(10):
        # A different address each time, so only the per-account limit can stop it.
        address = {"REMOTE_ADDR": f"10.0.0.{attempt}"}
        response = submit(client, "/login", {"email": user.email, "password": "wrong"}, environ_base=address)
        assert response.status_code == 200
    blocked = submit(client, "/login", {"email": user.email, "password": PASSWORD},
                     environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert blocked.status_code == 429


def test_remember_me_keeps_the_person_logged_in_after_the_browser_closes(app, client, login):
    user = make_user()
    login(user, remember=True)
    remember_cookie = client.get_cookie(app.config["REMEMBER_COOKIE_NAME"])
    assert remember_cookie is not None
    fresh_browser = app.test_client()
    fresh_browser.set_cookie(remember_cookie.key, remember_cookie.value)
    assert fresh_browser.get("/account").status_code == 200


def test_an_unconfirmed_account_cannot_log_in_and_the_answer_gives_nothing_away(client, login):
    user = make_user(verified=False)
    response = login(user)
    assert response.status_code == 200 and WRONG_ANSWER in response.text
    assert "open the link in the email we sent you first" in response.text
    assert client.get("/account").status_code == 302


def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(database_url, tmp_path):
    from tests.conftest import fresh_schema, make_test_app

    with fresh_schema(make_test_app(database_url, tmp_path, TRUSTED_PROXY_HOPS=1)) as app:
        client = app.test_client()
        for _ in range(7):
            first = submit(client, "/login", {"email": "a@example.org", "password": "guess"},
                           headers={"X-Forwarded-For": "203.0.113.1"})
        assert first.status_code == 429
        other_visitor = submit(client, "/login", {"email": "b@example.org", "password": "guess"},
                               headers={"X-Forwarded-For": "203.0.113.2"})
        assert other_visitor.status_code == 200


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(client):
    for attempt in range(6):
        submit(client, "/login", {"email": "a@example.org", "password": "guess"},
               headers={"X-Forwarded-For": f"198.51.100.{attempt}"})
    spoofed = submit(client, "/login", {"email": "a@example.org", "password": "guess"},
                     headers={"X-Forwarded-For": "198.51.100.99"})
    assert spoofed.status_code == 429
