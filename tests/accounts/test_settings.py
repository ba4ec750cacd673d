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


def use_link(client, link):
    """Open an emailed link and press its button, as a person would (a GET alone changes nothing)."""
    return submit(client, path_of(link), {})


def test_changing_email_needs_the_new_address_confirmed_and_tells_the_old_one(client, login, outbox, db):
    user = make_user("old@example.org")
    login(user)
    response = submit(client, "/account/email", {"email": "new@example.org"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "old@example.org", "the address must not change before it is confirmed"
    assert outbox.to("old@example.org")[-1]["Subject"] == "Someone asked to change your email address"

    link = outbox.last_link("new@example.org")
    assert client.get(path_of(link)).status_code == 200, "a mail scanner opening the link changes nothing"
    db.session.refresh(user)
    assert user.email == "old@example.org"
    use_link(client, link)
    db.session.refresh(user)
    assert user.email == "new@example.org" and user.is_verified
    assert outbox.to("old@example.org")[-1]["Subject"] == "Your email address was changed"


def test_an_email_change_link_works_once(client, login, outbox, db):
    user = make_user("old@example.org")
    login(user)
    submit(client, "/account/email", {"email": "new@example.org"})
    link = outbox.last_link("new@example.org")
    assert use_link(client, link).status_code == 302
    submit(client, "/account/email", {"email": "old@example.org"})
    use_link(client, outbox.last_link("old@example.org"))
    db.session.refresh(user)
    assert user.email == "old@example.org"
    assert client.get(path_of(link)).status_code == 400
    assert use_link(client, link).status_code == 400


def cancel_link(outbox, address):
    return path_of(outbox.link_in(outbox.to(address)[0], "/account/email/cancel/"))


def test_the_old_address_can_undo_a_change_someone_else_made_once(app, client, login, outbox, db):
    user = make_user("owner@example.org")
    login(user)
    submit(client, "/account/email", {"email": "thief@example.org"})
    use_link(client, outbox.last_link("thief@example.org"))
    db.session.refresh(user)
    assert user.email == "thief@example.org"

    cancel = cancel_link(outbox, "owner@example.org")
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
    # The link works once: nobody holding it can keep logging the owner out.
    assert owner.get(cancel).status_code == 400
    login(user, the_client=owner)
    assert submit(app.test_client(), cancel, {}, page="/login").status_code == 400
    assert owner.get("/account").status_code == 200


def test_cancelling_before_the_new_address_confirms_stops_the_change(app, client, login, outbox, db):
    user = make_user("owner@example.org")
    login(user)
    submit(client, "/account/email", {"email": "thief@example.org"})
    confirm = outbox.last_link("thief@example.org")
    submit(app.test_client(), cancel_link(outbox, "owner@example.org"), {})
    assert client.get(path_of(confirm)).status_code == 400
    db.session.refresh(user)
    assert user.email == "owner@example.org"


def test_changing_to_an_address_someone_else_uses_looks_the_same_from_outside(client, login, outbox, db):
    """The page, and the old inbox, look the same whether or not the new address has an account."""
    make_user("taken@example.org")
    user = make_user("mine@example.org")
    login(user)
    response = submit(client, "/account/email", {"email": "taken@example.org"})
    assert response.status_code == 302 and "already exists" not in client.get(response.location).text
    assert outbox.to("mine@example.org")[-1]["Subject"] == "Someone asked to change your email address"
    (note,) = outbox.to("taken@example.org")
    assert note["Subject"] == "Someone asked to use your address"
    assert "/account/email/" not in note.get_body(preferencelist=("plain",)).get_content()
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
