"""The holes a review of the running site found (issue 5, "What was found"), each tried as an attacker would.

These were written against the foundation's code first, and failed there; they pass now.
"""

import threading

from community.accounts.models import User
from tests.conftest import path_of, submit
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a brand new pass phrase"


def log_out(client):
    return submit(client, "/logout", {}, page="/")


# 1. Log-out keeps a remembered log-in ---------------------------------------------------------------------

def test_log_out_ends_a_remembered_log_in(app, client, login):
    login(make_user(), remember=True)
    assert client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]) is not None
    log_out(client)
    assert client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]) is None
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.location


def test_a_remember_cookie_copied_before_log_out_no_longer_logs_in(app, client, login):
    login(make_user(), remember=True)
    remember = client.get_cookie(app.config["REMEMBER_COOKIE_NAME"])
    log_out(client)
    thief = app.test_client()
    thief.set_cookie(remember.key, remember.value)
    assert thief.get("/account").status_code == 302


# 2. A copied session cookie outlives log-out --------------------------------------------------------------

def test_a_session_cookie_copied_before_log_out_no_longer_logs_in(app, client, login):
    login(make_user())
    copied = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    log_out(client)
    thief = app.test_client()
    thief.set_cookie(copied.key, copied.value)
    response = thief.get("/account")
    assert response.status_code == 302 and "/login" in response.location


# 3. Strangers can lock a person out -----------------------------------------------------------------------

def test_strangers_failing_from_many_addresses_do_not_lock_out_the_owners_usual_browser(app, client, login):
    owner = make_user("owner@example.org", role="moderator")
    login(owner)
    log_out(client)
    for attempt in range(20):
        stranger = app.test_client()
        submit(stranger, "/login", {"email": owner.email, "password": f"guess {attempt}"},
               environ_base={"REMOTE_ADDR": f"10.9.{attempt}.1"})
    response = submit(client, "/login", {"email": owner.email, "password": PASSWORD},
                      environ_base={"REMOTE_ADDR": "10.8.0.1"})
    assert response.status_code == 302


# 4. An email-change link survives a password change -------------------------------------------------------

def test_an_email_change_link_dies_when_the_password_changes(client, login, outbox, db):
    user = make_user("owner@example.org")
    login(user)
    submit(client, "/account/email", {"email": "attacker@example.org", "password": PASSWORD})
    link = path_of(outbox.last_link("attacker@example.org"))
    submit(client, "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert client.get(link).status_code == 400
    assert submit(client, link, {}, page="/").status_code == 400
    db.session.refresh(user)
    assert user.email == "owner@example.org"


def test_the_old_address_is_told_at_once_when_a_change_is_asked_for(client, login, outbox):
    login(make_user("owner@example.org"))
    submit(client, "/account/email", {"email": "new@example.org", "password": PASSWORD})
    (notice,) = outbox.to("owner@example.org")
    assert "cancel" in notice.get_body(preferencelist=("plain",)).get_content().lower()


# 5. The smaller ones ---------------------------------------------------------------------------------------

def test_signup_answers_the_same_whether_or_not_the_address_has_an_account(app, outbox):
    make_user("member@example.org")

    def sign_up(email):
        return submit(app.test_client(), "/signup", {"email": email, "display_name": "Kit", "password": PASSWORD})

    known, unknown = sign_up("member@example.org"), sign_up("newcomer@example.org")
    assert known.status_code == unknown.status_code
    assert "already exists" not in known.text
    assert known.text.replace("member@example.org", "X") == unknown.text.replace("newcomer@example.org", "X")
    (notice,) = outbox.to("member@example.org")
    assert "tried to sign up" in notice.get_body(preferencelist=("plain",)).get_content()


def test_six_simultaneous_uses_of_one_reset_link_change_the_password_once(app, outbox, db):
    user = make_user("owner@example.org")
    submit(app.test_client(), "/reset-password", {"email": user.email})
    link = path_of(outbox.last_link(user.email))
    clients = [app.test_client() for _ in range(6)]
    from tests.conftest import csrf_token_from

    tokens = [csrf_token_from(c.get(link).text) for c in clients]
    start = threading.Barrier(len(clients))
    statuses = []

    def use_link(the_client, token, number):
        start.wait()
        response = the_client.post(link, data={"password": f"{NEW_PASSWORD} {number}", "csrf_token": token})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=use_link, args=(c, t, n)) for n, (c, t) in enumerate(zip(clients, tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [302, 400, 400, 400, 400, 400]


def test_a_reset_password_is_confirmed_by_email(client, outbox):
    user = make_user("owner@example.org")
    submit(client, "/reset-password", {"email": user.email})
    submit(client, path_of(outbox.last_link(user.email)), {"password": NEW_PASSWORD})
    assert outbox.to(user.email)[-1]["Subject"] == "Your password was changed"


def test_the_last_admin_cannot_be_removed_from_the_command_line(runner, db):
    admin = make_user("boss@example.org", role="admin")
    result = runner.invoke(args=["users", "set-role", admin.email, "registered"])
    assert result.exit_code != 0 and "last admin" in result.output
    assert db.session.get(User, admin.id).role == "admin"
