"""Password reset links and password changes."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from community.accounts.models import UserSession
from community.extensions import utcnow
from tests.conftest import path_of, submit
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a brand new pass phrase"


def ask_for_reset(client, email):
    return submit(client, "/reset-password", {"email": email})


def test_reset_never_reveals_whether_an_email_exists(client, outbox):
    make_user("real@example.org")
    known = ask_for_reset(client, "real@example.org")
    unknown = ask_for_reset(client, "ghost@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("real@example.org", "X") == unknown.text.replace("ghost@example.org", "X")
    assert len(outbox.to("real@example.org")) == 1 and outbox.to("ghost@example.org") == []


def test_a_reset_link_works_once(client, outbox, login):
    user = make_user("real@example.org")
    ask_for_reset(client, user.email)
    link = path_of(outbox.last_link(user.email))
    response = submit(client, link, {"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert "Your password is changed" in client.get(response.location).text
    submit(client, "/logout", {}, page="/")
    assert login(user, password=NEW_PASSWORD).status_code == 302
    submit(client, "/logout", {}, page="/")
    again = client.get(link)
    assert again.status_code == 400 and "Password reset links work once" in again.text


def test_a_reset_link_expires_after_an_hour(app, client, outbox, monkeypatch):
    user = make_user("real@example.org")
    ask_for_reset(client, user.email)
    link = path_of(outbox.last_link(user.email))
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time",
                        lambda: real_time() + app.config["RESET_PASSWORD_MAX_AGE"] + 1)
    response = client.get(link)
    assert response.status_code == 400
    assert "This link does not work any more" in response.text


def test_a_weak_new_password_is_refused_and_the_link_still_works(client, outbox):
    user = make_user("real@example.org")
    ask_for_reset(client, user.email)
    link = path_of(outbox.last_link(user.email))
    weak = submit(client, link, {"password": "123456789"})
    assert weak.status_code == 200 and "one of the most common" in weak.text
    assert submit(client, link, {"password": NEW_PASSWORD}).status_code == 302


def test_changing_password_logs_out_other_sessions_but_not_this_one(app, client, login):
    user = make_user()
    other_device = app.test_client()
    login(user, the_client=other_device, remember=True)
    login(user)
    assert other_device.get("/account").status_code == 200
    response = submit(client, "/account/password", {"new_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 302
    # Even its remember-me cookie no longer works.
    other_device.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    assert other_device.get("/account").status_code == 302


def test_after_a_while_changing_password_asks_who_you_are_first(client, login, db):
    user = make_user()
    login(user)
    db.session.execute(update(UserSession).values(confirmed_at=utcnow() - timedelta(minutes=11)))
    db.session.commit()
    old_hash = user.password_hash
    response = client.get("/account/password")
    assert response.status_code == 302 and response.location.startswith("/account/confirm")
    wrong = submit(client, "/account/confirm?next=/account/password", {"password": "nope nope"})
    assert "Your password is not right" in wrong.text
    confirmed = submit(client, "/account/confirm?next=/account/password", {"password": PASSWORD})
    assert confirmed.location == "/account/password"
    assert submit(client, "/account/password", {"new_password": NEW_PASSWORD}).status_code == 302
    db.session.refresh(user)
    assert user.password_hash != old_hash


@pytest.mark.parametrize("days", [4])
def test_a_verification_link_older_than_three_days_is_refused(app, client, outbox, monkeypatch, days):
    submit(client, "/signup", {"email": "slow@example.org", "display_name": "Kit", "password": PASSWORD})
    link = path_of(outbox.last_link("slow@example.org"))
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time",
                        lambda: real_time() + timedelta(days=days).total_seconds())
    assert client.get(link).status_code == 400
