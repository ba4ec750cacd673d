"""A person's own settings: profile, text size, time zone and email address."""

from community.accounts import sessions
from tests.conftest import path_of, submit
from tests.factories import make_user


def test_profile_changes_are_saved_and_text_size_applies_to_every_page(client, login, db):
    user = make_user()
    login(user)
    response = submit(client, "/account", {"display_name": "Wren", "bio": "Leaking since 2023.",
                                           "time_zone": "America/New_York", "text_size": "largest"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.display_name, user.bio, user.time_zone, user.text_size) == (
        "Wren", "Leaking since 2023.", "America/New_York", "largest")
    assert '<html lang="en-GB" class="text-largest">' in client.get("/need-help").text


def test_a_new_account_uses_uk_time_and_standard_text(client, login):
    user = make_user()
    assert user.time_zone == "Europe/London" and user.text_size == "standard"


def test_an_unknown_time_zone_is_refused_and_nothing_changes(client, login, db):
    user = make_user(display_name="Robin")
    login(user)
    response = submit(client, "/account", {"display_name": "Changed", "time_zone": "Mars/Olympus",
                                           "text_size": "standard"})
    assert response.status_code == 200 and "<title>Error: " in response.text
    db.session.refresh(user)
    assert user.display_name == "Robin"


def test_changing_email_needs_the_new_address_confirmed_and_tells_the_old_one(client, login, outbox, db):
    user = make_user("old@example.org")
    login(user)
    response = submit(client, "/account/email", {"email": "new@example.org"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "old@example.org", "the address must not change before it is confirmed"
    assert outbox.to("old@example.org")[-1]["Subject"] == "Someone asked to change your email address"

    client.get(path_of(outbox.last_link("new@example.org")))
    db.session.refresh(user)
    assert user.email == "new@example.org" and user.is_verified
    assert outbox.to("old@example.org")[-1]["Subject"] == "Your email address was changed"


def test_an_email_change_link_works_once(client, login, outbox, db):
    user = make_user("old@example.org")
    login(user)
    submit(client, "/account/email", {"email": "new@example.org"})
    link = path_of(outbox.last_link("new@example.org"))
    assert client.get(link).status_code == 302
    submit(client, "/account/email", {"email": "old@example.org"})
    client.get(path_of(outbox.last_link("old@example.org")))
    db.session.refresh(user)
    assert user.email == "old@example.org"
    assert client.get(link).status_code == 400


def test_the_old_address_can_undo_a_change_someone_else_made(app, client, login, outbox, db):
    user = make_user("owner@example.org")
    login(user)
    submit(client, "/account/email", {"email": "thief@example.org"})
    client.get(path_of(outbox.last_link("thief@example.org")))
    db.session.refresh(user)
    assert user.email == "thief@example.org"

    cancel = path_of(outbox.link_in(outbox.to("owner@example.org")[0], "/account/email/cancel/"))
    owner = app.test_client()
    assert "Cancel the change" in owner.get(cancel).text
    assert owner.get(cancel).status_code == 200  # opening the link (as mail scanners do) changes nothing
    db.session.refresh(user)
    assert user.email == "thief@example.org"
    done = submit(owner, cancel, {})
    assert done.status_code == 200 and "owner@example.org" in done.text
    db.session.refresh(user)
    assert user.email == "owner@example.org"
    assert client.get("/account").status_code == 302, "whoever made the change is logged out"


def test_changing_to_an_address_someone_else_uses_answers_alike_and_changes_nothing(client, login, outbox, db):
    make_user("taken@example.org")
    user = make_user("mine@example.org")
    login(user)
    response = submit(client, "/account/email", {"email": "taken@example.org"})
    assert response.status_code == 302 and "already exists" not in client.get(response.location).text
    assert outbox.to("taken@example.org") == []
    db.session.refresh(user)
    assert user.email == "mine@example.org"


def test_settings_pages_need_a_login(client):
    for url in ("/account", "/account/email", "/account/password"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location


def test_dates_are_shown_in_the_readers_time_zone(app, db):
    from datetime import UTC, datetime

    from flask_login import login_user

    from community.dates import day_and_time

    moment = datetime(2027, 7, 1, 23, 30, tzinfo=UTC)
    with app.test_request_context():
        assert day_and_time(moment) == "2 July 2027 at 00:30"  # nobody logged in: UK time, BST in July
    user = make_user()
    user.time_zone = "Asia/Tokyo"
    sessions.start_session(user, remembered=False)
    with app.test_request_context():
        login_user(user)
        assert day_and_time(moment) == "2 July 2027 at 08:30"
