"""The café's pages for each kind of visitor, the admins' schedule forms, reminders (the opt-in and `flask cafe
remind`), the hosts' summaries, and `flask cafe purge`."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from community.cafe import reminders, schedule
from community.cafe.models import CafeMessage, CafeReminder, CafeSession
from community.extensions import db as _db
from community.extensions import utcnow
from community.membership import services as membership
from tests.conftest import submit
from tests.factories import make_member, make_user


def next_wednesday():
    today = schedule.london_today()
    return today + timedelta(days=(2 - today.weekday()) % 7 or 7)


def open_now() -> CafeSession:
    """A café open at this moment, whatever the day and time the tests run (an extra session's row, made the way
    the schedule makes one, without add_extra's refusal of a session overlapping a Wednesday's)."""
    now = utcnow()
    return schedule.session_for(schedule.Cafe(now - timedelta(hours=1), now + timedelta(hours=1),
                                              schedule.london_today(now), extra=True, note="Test session"))


def say(session, author, body, when=None) -> CafeMessage:
    message = CafeMessage(session_id=session.id, author_id=author.id, body=body, created_at=when or utcnow(),
                          changed_at=when or utcnow())
    _db.session.add(message)
    _db.session.commit()
    return message


# The café page ----------------------------------------------------------------------------------------------

def test_a_visitor_sees_what_the_cafe_is_when_it_next_is_and_how_to_join(client, db):
    coming = schedule.next_cafe()
    page = client.get("/cafe")
    assert page.status_code == 200
    text = page.text
    assert "<h1>The Leaky Café</h1>" in text
    assert coming.starts_at.astimezone(schedule.LONDON).strftime("%A %-d %B %Y, %H:%M") in text
    assert 'href="/membership"' in text and "Find out about membership" in text
    assert 'href="/cafe/calendar.ics"' in text
    assert f'href="/cafe/calendar/{coming.local_date.isoformat()}.ics"' in text
    assert "Enter the café room" not in text and "Email me on the morning" not in text
    assert "Log in</a>" in text


def test_a_member_abroad_sees_the_times_in_their_own_time_zone(client, login, db):
    member = make_member()
    member.time_zone = "America/New_York"
    _db.session.commit()
    login(member)
    coming = schedule.next_cafe()
    text = client.get("/cafe").text
    new_york = coming.starts_at.astimezone(ZoneInfo("America/New_York"))
    assert new_york.strftime("%A %-d %B %Y, %H:%M") in text
    assert "(your time, America/New_York)" in text
    # 19:00 in London is 14:00 or 15:00 in New York (the two countries change their clocks on different dates).
    assert new_york.hour in (14, 15)


def test_a_member_is_shown_the_way_into_the_room_only_while_it_is_open(client, login, db):
    login(make_member())
    text = client.get("/cafe").text
    assert "Enter the café room" not in text and "The room opens at" in text
    open_now()
    text = client.get("/cafe").text
    assert "The café is on now" in text and 'href="/cafe/room"' in text and "Enter the café room" in text


def test_a_signed_in_non_member_is_shown_how_to_join_not_the_room(client, login, db):
    login(make_user())
    open_now()
    text = client.get("/cafe").text
    assert "The café is on now" in text and "Enter the café room" not in text
    assert "Find out how to become a member" in text and "Log in</a>" not in text


def test_cancelled_dates_and_extra_sessions_are_marked_with_their_notes(client, db):
    admin = make_user(role="admin")
    wednesday = next_wednesday()
    schedule.cancel(admin, wednesday.isoformat(), "Bank holiday week")
    schedule.add_extra(admin, (wednesday + timedelta(days=1)).isoformat(), "14:00", "15:00", "A daytime café",
                       "Morgan")
    text = client.get("/cafe").text
    assert '<span class="tag">Cancelled</span> Bank holiday week' in text
    assert '<span class="tag">Extra session</span> A daytime café' in text
    assert "Hosted by Morgan." in text


def test_staff_see_their_own_links(client, login, db):
    moderator = make_user(role="moderator")
    login(moderator)
    held = open_now()
    text = client.get("/cafe").text
    assert f'href="/cafe/sessions/{held.id}/summary"' in text and 'href="/cafe/admin"' not in text
    other = client.application.test_client()
    login(make_user(role="admin"), the_client=other)
    assert 'href="/cafe/admin"' in other.get("/cafe").text
    assert 'href="/cafe/admin"' in other.get("/admin").text


def test_the_cafe_page_costs_the_same_queries_however_full_the_calendar(client, login, count_queries, db):
    admin = make_user(role="admin")
    login(admin)

    def queries():
        with count_queries() as statements:
            assert client.get("/cafe").status_code == 200
        return len(statements)

    few = queries()
    wednesday = next_wednesday()
    for week in range(3):
        schedule.cancel(admin, (wednesday + timedelta(days=7 * week)).isoformat(), "Away")
        schedule.add_extra(admin, (wednesday + timedelta(days=7 * week + 1)).isoformat(), "14:00", "15:00", "Extra")
    for days_ago in (7, 14, 21):
        past = schedule.session_for(schedule.regular_cafe(wednesday - timedelta(days=days_ago)))
        schedule.write_summary(admin, past, "We talked about **rest**.")
    assert queries() == few
    assert client.get("/cafe/admin").status_code == 200


# Reminders --------------------------------------------------------------------------------------------------

def test_a_member_turns_reminders_on_and_off(client, login, db):
    member = make_member()
    login(member)
    response = submit(client, "/cafe/reminders", {"reminders": "on"}, page="/cafe")
    assert response.status_code == 302 and response.location.endswith("/cafe#reminders")
    assert reminders.wants_reminders(member)
    submit(client, "/cafe/reminders", {"reminders": "on"}, page="/cafe")  # sent twice: still on, one row
    assert CafeReminder.query.count() == 1
    text = client.get("/cafe").text
    assert "Stop the reminders" in text and "We email you on the morning of each café" in text
    submit(client, "/cafe/reminders", {"reminders": "off"}, page="/cafe")
    assert not reminders.wants_reminders(member)
    assert "Email me on the morning of each café" in client.get("/cafe").text


def test_reminders_need_a_csrf_token_and_membership(client, login, db):
    login(make_member())
    assert client.post("/cafe/reminders", data={"reminders": "on"}).status_code == 400
    assert CafeReminder.query.count() == 0


def reminders_to(outbox, person) -> list:
    return [message for message in outbox.to(person.email) if message["Subject"].startswith("The Leaky Café is on")]


def _opt_in(*people):
    for person in people:
        reminders.set_reminders(person, True)


def test_flask_cafe_remind_emails_each_member_once_per_cafe(app, runner, outbox, db):
    open_now()
    member, abroad, lapsed, not_asked = make_member(), make_member(), make_member(), make_member()
    abroad.time_zone = "Asia/Tokyo"
    _db.session.commit()
    membership.apply_subscription_state(lapsed, "canceled", utcnow() - timedelta(days=2), "test: ended")
    _opt_in(member, abroad, lapsed)

    first = runner.invoke(args=["cafe", "remind"])
    assert first.exit_code == 0 and "Sent 2 café reminder(s)." in first.output
    assert len(reminders_to(outbox, member)) == 1 and len(reminders_to(outbox, abroad)) == 1
    assert not reminders_to(outbox, lapsed) and not reminders_to(outbox, not_asked)

    message = reminders_to(outbox, abroad)[0]
    body = message.get_body(preferencelist=("plain",)).get_content()
    cafe = schedule.open_cafe()
    tokyo = cafe.starts_at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    assert message["Subject"].startswith("The Leaky Café is on ") and message["Subject"].endswith(f" at {tokyo}")
    assert "Asia/Tokyo" in body and "/cafe/room" in body and "/cafe#reminders" in body
    assert "Stop the reminders" in body

    second = runner.invoke(args=["cafe", "remind"])
    assert "Sent 0 café reminder(s)." in second.output
    assert len(reminders_to(outbox, member)) == 1


def test_no_reminders_on_a_cancelled_wednesday_or_a_day_without_a_cafe(app, outbox, db):
    admin = make_user(role="admin")
    member = make_member()
    _opt_in(member)
    wednesday = next_wednesday()
    morning = schedule.london_moment(wednesday, datetime.min.time().replace(hour=8))
    schedule.cancel(admin, wednesday.isoformat(), "Bank holiday week")
    assert reminders.send_reminders(now=morning) == 0
    assert reminders.send_reminders(now=morning - timedelta(days=1)) == 0  # a Tuesday
    schedule.uncancel(admin, schedule.cafes_between(wednesday, wednesday)[0].session_id)
    assert reminders.send_reminders(now=morning) == 1
    assert reminders.send_reminders(now=morning) == 0
    # The next Wednesday is a new café: reminded again.
    assert reminders.send_reminders(now=morning + timedelta(days=7)) == 1
    assert len(reminders_to(outbox, member)) == 2


# The admins' schedule ---------------------------------------------------------------------------------------

@pytest.fixture
def admin_client(client, login, db):
    admin = make_user(role="admin")
    login(admin)
    return client


def test_admins_change_the_schedule_through_its_forms(admin_client, db):
    client = admin_client
    wednesday = next_wednesday()
    response = submit(client, "/cafe/admin", {"action": "rule", "rule-start_time": "18:30",
                                              "rule-end_time": "20:30", "rule-host_name": "Morgan"})
    assert response.status_code == 302
    assert schedule.rule() == schedule.Rule("18:30", "20:30", "Morgan")
    assert "every Wednesday from 18:30 to 20:30" in client.get("/cafe/admin").text

    submit(client, "/cafe/admin", {"action": "cancel", "cancel-date": wednesday.isoformat(),
                                   "cancel-note": "Bank holiday week"})
    cancelled = schedule.cafes_between(wednesday, wednesday)[0]
    assert cancelled.cancelled and cancelled.note == "Bank holiday week"
    assert "Put this café back on" in client.get("/cafe/admin").text
    submit(client, "/cafe/admin", {"action": "restore", "restore-session_id": cancelled.session_id})
    assert not schedule.cafes_between(wednesday, wednesday)[0].cancelled

    day = wednesday + timedelta(days=2)
    submit(client, "/cafe/admin", {"action": "extra", "extra-date": day.isoformat(), "extra-start_time": "14:00",
                                   "extra-end_time": "15:30", "extra-note": "A daytime café",
                                   "extra-host_name": "Sam"})
    extra = schedule.cafes_between(day, day)[0]
    assert extra.extra and (extra.note, extra.host_name) == ("A daytime café", "Sam")
    submit(client, "/cafe/admin", {"action": "remove", "remove-session_id": extra.session_id})
    assert schedule.cafes_between(day, day)[0].cancelled


def _nothing_changed():
    assert schedule.rule() == schedule.Rule()
    assert CafeSession.query.filter((CafeSession.cancelled.is_(True)) | (CafeSession.extra.is_(True))).count() == 0


@pytest.mark.parametrize(("data", "words", "field_id"), [
    ({"action": "rule", "rule-start_time": "21:00", "rule-end_time": "19:00"},
     "The café must end after it starts", "rule-end_time"),
    ({"action": "rule", "rule-start_time": "", "rule-end_time": "21:00"},
     "Enter the time the café starts", "rule-start_time"),
    ({"action": "rule", "rule-start_time": "7pm", "rule-end_time": "21:00"}, "a time like 19:00", "rule-start_time"),
    ({"action": "cancel", "cancel-date": "2020-01-01"}, "That date has passed", "cancel-date"),
    ({"action": "cancel", "cancel-date": "THURSDAY"}, "choose a Wednesday", "cancel-date"),
    ({"action": "cancel", "cancel-date": ""}, "Enter the Wednesday to call off", "cancel-date"),
    ({"action": "extra", "extra-date": "WEDNESDAY", "extra-start_time": "20:00", "extra-end_time": "22:00"},
     "Another café is on at that time", "extra-start_time"),
    ({"action": "extra", "extra-date": "WEDNESDAY", "extra-start_time": "15:00", "extra-end_time": "14:00"},
     "The café must end after it starts", "extra-end_time"),
    ({"action": "extra", "extra-date": "2020-01-01", "extra-start_time": "14:00", "extra-end_time": "15:00"},
     "That date has passed", "extra-date"),
    ({"action": "restore", "restore-session_id": "999"}, "That café is not cancelled.", None),
    ({"action": "remove", "remove-session_id": "nonsense"}, "That extra session is not on the calendar.", None),
    ({}, "Choose one of the buttons on the page", None),
])
def test_each_refusal_is_shown_on_its_form_and_nothing_changes(admin_client, data, words, field_id):
    wednesday = next_wednesday()
    filled = {key: {"WEDNESDAY": wednesday.isoformat(), "THURSDAY": (wednesday + timedelta(days=1)).isoformat()}
              .get(value, value) for key, value in data.items()}
    response = submit(admin_client, "/cafe/admin", filled)
    assert response.status_code == 400
    text = response.text
    assert "<title>Error: " in text and "There is a problem" in text
    assert words in text
    if field_id:
        assert f'href="#{field_id}"' in text and f'id="{field_id}-error"' in text
        assert f'aria-describedby="{field_id}-hint {field_id}-error"' in text
    for key, value in filled.items():  # what the admin typed comes back
        if key.endswith(("_time", "-date")) and value:
            assert f'value="{value}"' in text
    _nothing_changed()


def test_moderators_may_not_change_the_schedule(client, login, db):
    login(make_user(role="moderator"))
    assert client.get("/cafe/admin").status_code == 403


# Hosts' summaries -------------------------------------------------------------------------------------------

def test_a_host_writes_a_summary_members_read_and_visitors_do_not(client, login, db):
    held = open_now()
    moderator = make_user(role="moderator")
    login(moderator)
    page = client.get(f"/cafe/sessions/{held.id}/summary")
    assert page.status_code == 200 and "Summary of the café of" in page.text
    response = submit(client, f"/cafe/sessions/{held.id}/summary",
                      {"summary": "We shared **sleep tips**.\n\n<img src=x onerror=alert(1)> [a](javascript:alert(1))"})
    assert response.status_code == 302 and response.location.endswith("/cafe#summaries")
    _db.session.refresh(held)
    assert "<strong>sleep tips</strong>" in held.summary_html
    # Raw HTML is shown as the text typed, never as markup; a javascript: address never becomes a link.
    assert "<img" not in held.summary_html and "&lt;img" in held.summary_html
    assert "href" not in held.summary_html
    assert held.summary_by_id == moderator.id and held.summary_at is not None

    reader = client.application.test_client()
    assert "sleep tips" not in reader.get("/cafe").text  # visitors: not the members' summaries
    login(make_member(), the_client=reader)
    text = reader.get("/cafe").text
    assert "<strong>sleep tips</strong>" in text
    assert reader.get(f"/cafe/sessions/{held.id}/summary").status_code == 403


def test_a_summary_too_long_or_of_a_cafe_not_yet_held_is_refused(client, login, db):
    login(make_user(role="moderator"))
    held = open_now()
    response = submit(client, f"/cafe/sessions/{held.id}/summary", {"summary": "x" * 5001})
    assert response.status_code == 400 and "It can be up to 5,000" in response.text
    future = schedule.session_for(schedule.regular_cafe(next_wednesday() + timedelta(days=7)))
    response = submit(client, f"/cafe/sessions/{future.id}/summary", {"summary": "Too soon"})
    assert response.status_code == 400 and "has not started yet" in response.text
    assert client.get("/cafe/sessions/999999/summary").status_code == 404


# Retention --------------------------------------------------------------------------------------------------

def test_flask_cafe_purge_removes_only_messages_past_their_retention(app, runner, db):
    member = make_member()
    now = utcnow()

    def session_ended(days_ago):
        ends = now - timedelta(days=days_ago)
        return schedule.session_for(schedule.Cafe(ends - timedelta(hours=2), ends, ends.astimezone(UTC).date(),
                                                  extra=True))

    old, recent = session_ended(31), session_ended(29)
    say(old, member, "Old words")
    say(old, member, "More old words")
    kept = say(recent, member, "Recent words").id
    result = runner.invoke(args=["cafe", "purge"])
    assert result.exit_code == 0 and "Removed 2 café message(s)" in result.output
    _db.session.expire_all()
    assert [message.id for message in CafeMessage.query.all()] == [kept]
    assert _db.session.get(CafeSession, old.id) is not None  # the session stays (its summary, the record)


def test_the_home_page_names_the_next_cafe_and_a_cancellation_shows_at_once(app, client):
    from community.cafe import schedule
    from tests.factories import make_user

    admin = make_user(role="admin")
    today = schedule.london_today()
    if today.weekday() == schedule.WEDNESDAY:
        schedule.cancel(admin, today.isoformat(), "")   # so the next café is a whole week ahead, whatever the hour
    expected = schedule.next_cafe()
    home = client.get("/").text
    assert "The next Leaky Café" in home
    assert expected.starts_at.astimezone(schedule.LONDON).strftime("%-d %B %Y, %H:%M") in home
    schedule.cancel(admin, expected.local_date.isoformat(), "Bank holiday")
    following = schedule.next_cafe()
    assert following.local_date > expected.local_date
    home = client.get("/").text
    assert following.starts_at.astimezone(schedule.LONDON).strftime("%-d %B %Y, %H:%M") in home
