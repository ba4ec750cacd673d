"""Server-side sessions: where you're logged in, ending them, timeouts, and what ends them for you."""

import threading
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, func, select, update

from community.accounts import sessions
from community.accounts.models import UserSession
from community.extensions import utcnow
from tests.conftest import submit
from tests.factories import PASSWORD, make_user

PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0.0.0 Mobile Safari/537.36")
LAPTOP = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:132.0) Gecko/20100101 Firefox/132.0"


def session_count(db, user) -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


def age_sessions(db, **ago):
    """Make every session look as if it was last used (and created) that long ago."""
    moment = utcnow() - timedelta(**ago)
    db.session.execute(update(UserSession).values(last_seen_at=moment, created_at=moment))
    db.session.commit()


def test_the_cookies_carry_only_a_random_id_whose_digest_is_stored(app, client, login, db):
    user = make_user()
    login(user, remember=True)
    with client.session_transaction() as session:
        token = session["_user_id"]
    assert str(user.id) not in token.split(":")
    row = db.session.scalar(select(UserSession))
    assert row.token_hash == sessions.token_digest(token) and token not in row.token_hash
    assert row.remembered


def test_sessions_page_lists_each_device_and_marks_this_one(app, client, login):
    user = make_user()
    login(user, the_client=app.test_client(), headers={"User-Agent": PHONE})
    login(user, headers={"User-Agent": LAPTOP})
    page = client.get("/account/sessions").text
    assert "Chrome on Android" in page and "Firefox on Mac" in page
    assert page.count("This device") == 1
    assert page.count("Log out this device") == 1


def test_log_out_one_other_device(app, client, login, db):
    user = make_user()
    phone = app.test_client()
    login(user, the_client=phone)
    login(user)
    phone_row = db.session.scalars(select(UserSession).order_by(UserSession.id)).first()
    response = submit(client, f"/account/sessions/{phone_row.id}/end", {}, page="/account/sessions")
    assert response.status_code == 302
    assert phone.get("/account").status_code == 302
    assert client.get("/account").status_code == 200


def test_nobody_can_log_out_someone_elses_device_by_guessing_its_number(app, client, login, db):
    victim = make_user()
    victims_browser = app.test_client()
    login(victim, the_client=victims_browser)
    victims_row = db.session.scalar(select(UserSession))
    login(make_user())
    submit(client, f"/account/sessions/{victims_row.id}/end", {}, page="/account/sessions")
    assert victims_browser.get("/account").status_code == 200
    assert session_count(db, victim) == 1


def test_log_out_everywhere_else_keeps_this_browser(app, client, login, db):
    user = make_user()
    others = [app.test_client() for _ in range(3)]
    for other in others:
        login(user, the_client=other, remember=True)
    login(user)
    response = submit(client, "/account/sessions/end-others", {}, page="/account/sessions")
    assert "You are now logged out everywhere else" in client.get(response.location).text
    assert [other.get("/account").status_code for other in others] == [302, 302, 302]
    # Not even their remember cookies bring them back.
    for other in others:
        other.delete_cookie(app.config["SESSION_COOKIE_NAME"])
        assert other.get("/account").status_code == 302
    assert session_count(db, user) == 1


def test_a_session_ends_after_twelve_idle_hours(client, login, db):
    login(make_user())
    age_sessions(db, hours=11)
    assert client.get("/account").status_code == 200
    age_sessions(db, hours=13)
    assert client.get("/account").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_a_remembered_session_lasts_two_idle_weeks(app, client, login, db):
    login(make_user(), remember=True)
    age_sessions(db, days=13)
    assert client.get("/account").status_code == 200
    age_sessions(db, days=15)
    assert client.get("/account").status_code == 302


def test_no_session_outlives_thirty_days_however_busy(client, login, db):
    login(make_user(), remember=True)
    db.session.execute(update(UserSession).values(created_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    assert client.get("/account").status_code == 302


def test_timeouts_are_settings(database_url, tmp_path):
    from tests.conftest import fresh_schema, make_test_app

    with fresh_schema(make_test_app(database_url, tmp_path, SESSION_IDLE_TIMEOUT=60)) as app:
        client = app.test_client()
        user = make_user()
        submit(client, "/login", {"email": user.email, "password": PASSWORD})
        from community.extensions import db

        age_sessions(db, minutes=2)
        assert client.get("/account").status_code == 302


def test_purge_command_removes_expired_sessions_only(runner, client, login, db, app):
    gone_quiet, active = make_user(), make_user()
    login(gone_quiet, the_client=app.test_client())
    login(active)
    db.session.execute(update(UserSession).where(UserSession.user_id == gone_quiet.id)
                       .values(last_seen_at=utcnow() - timedelta(days=40)))
    db.session.commit()
    result = runner.invoke(args=["users", "purge-sessions"])
    assert result.exit_code == 0 and "Removed 1 expired sessions" in result.output
    assert (session_count(db, gone_quiet), session_count(db, active)) == (0, 1)


def test_any_log_in_sweeps_away_everyones_expired_sessions_and_their_addresses(app, client, login, db):
    gone_quiet = make_user()
    login(gone_quiet, the_client=app.test_client(), environ_base={"REMOTE_ADDR": "192.0.2.44"})
    age_sessions(db, hours=13)
    login(make_user())
    assert session_count(db, gone_quiet) == 0
    assert db.session.scalar(select(UserSession.ip_address).where(UserSession.ip_address == "192.0.2.44")) is None


def test_a_role_change_logs_the_person_out_everywhere(app, client, login, db, as_role):
    helper = make_user()
    helpers_browser = app.test_client()
    login(helper, the_client=helpers_browser)
    as_role("admin")
    submit(client, f"/admin/members/{helper.id}/role", {"role": "moderator", "reason": "new volunteer"},
           page=f"/admin/members/{helper.id}")
    assert helpers_browser.get("/account").status_code == 302


def test_resetting_the_password_logs_out_every_device(app, client, login, outbox):
    user = make_user()
    other = app.test_client()
    login(user, the_client=other, remember=True)
    submit(client, "/reset-password", {"email": user.email})
    from tests.conftest import path_of

    submit(client, path_of(outbox.last_link(user.email)), {"password": "a brand new pass phrase"})
    other.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    assert other.get("/account").status_code == 302
    assert client.get("/account").status_code == 200


def test_a_signed_in_page_still_costs_one_query_and_last_seen_is_written_sparingly(client, login, db):
    login(make_user())
    with statements_by_thread(db) as statements:
        client.get("/account")
    assert statements == {threading.get_ident(): 1}, "one read, and nothing written while the page is fresh"
    six_minutes_ago = utcnow() - timedelta(minutes=6)
    db.session.execute(update(UserSession).values(last_seen_at=six_minutes_ago))
    db.session.commit()
    with statements_by_thread(db) as statements:
        client.get("/account")
    assert statements.pop(threading.get_ident()) == 1, "the page itself still reads once"
    assert list(statements.values()) == [2], "last-seen is written beside the response: the update and its commit"
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.last_seen_at)) > six_minutes_ago + timedelta(minutes=5)


def test_a_page_never_holds_a_connection_while_it_waits_for_another(client, login, db):
    """Holding one pooled connection while waiting for a second deadlocks the pool once every request in flight
    does it (the footer's settings did, once a minute at the café hour). Writing last-seen is the page's one write."""
    login(make_user())
    db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=6)))
    db.session.commit()
    held: dict[int, int] = {}
    most: dict[int, int] = {}

    def checkout(dbapi_connection, record, proxy):
        thread = threading.get_ident()
        held[thread] = held.get(thread, 0) + 1
        most[thread] = max(most.get(thread, 0), held[thread])

    def checkin(dbapi_connection, record):
        thread = threading.get_ident()
        held[thread] = held.get(thread, 0) - 1

    event.listen(db.engine, "checkout", checkout)
    event.listen(db.engine, "checkin", checkin)
    try:
        assert client.get("/account").status_code == 200
    finally:
        event.remove(db.engine, "checkout", checkout)
        event.remove(db.engine, "checkin", checkin)
    assert most.get(threading.get_ident()) == 1
    assert len(most) == 2, "the last-seen write ran on the after-response queue's own connection"


@contextmanager
def statements_by_thread(db):
    """{thread id: SQL statements it ran} while the block runs (a commit counts as one)."""
    counts: dict[int, int] = {}

    def record(*_args):
        counts[threading.get_ident()] = counts.get(threading.get_ident(), 0) + 1

    event.listen(db.engine, "before_cursor_execute", record)
    event.listen(db.engine, "commit", record)
    try:
        yield counts
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        event.remove(db.engine, "commit", record)


def test_devices_are_described_in_words_people_know():
    assert sessions.describe_device(PHONE) == "Chrome on Android"
    assert sessions.describe_device(LAPTOP) == "Firefox on Mac"
    assert sessions.describe_device("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                                    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1") == "Safari on iPhone"
    assert sessions.describe_device("") == "An unknown browser"
