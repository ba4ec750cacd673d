"""A person's own settings: profile, text size, time zone and email address."""

from tests.conftest import path_of, submit
from tests.factories import PASSWORD, make_user


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


def test_changing_email_needs_the_password_and_the_new_address_confirmed(client, login, outbox, db):
    user = make_user("old@example.org")
    login(user)
    wrong = submit(client, "/account/email", {"email": "new@example.org", "password": "not it at all"})
    assert "Your password is not right" in wrong.text and outbox.to("new@example.org") == []

    response = submit(client, "/account/email", {"email": "new@example.org", "password": PASSWORD})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "old@example.org", "the address must not change before it is confirmed"

    client.get(path_of(outbox.last_link("new@example.org")))
    db.session.refresh(user)
    assert user.email == "new@example.org" and user.is_verified
    (notice,) = outbox.to("old@example.org")
    assert notice["Subject"] == "Your email address was changed"


def test_cannot_change_to_an_address_someone_else_uses(client, login):
    make_user("taken@example.org")
    login(make_user())
    response = submit(client, "/account/email", {"email": "taken@example.org", "password": PASSWORD})
    assert "An account with this email address already exists" in response.text


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
    with app.test_request_context():
        login_user(user)
        assert day_and_time(moment) == "2 July 2027 at 08:30"
