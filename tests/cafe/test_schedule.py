"""The café's schedule: Wednesdays at the admins' London times across the clock changes, cancelled dates, extra
sessions, when the room is open, and the admins' changes refused with kind messages. Time is frozen by passing
`now=` to the schedule's functions."""

from datetime import UTC, date, datetime, timedelta

import pytest

from community.cafe import schedule
from community.cafe.schedule import ScheduleError
from community.moderation.models import AuditEntry
from tests.factories import make_user

# 2027's clock changes: Sunday 28 March (on to BST) and Sunday 31 October (back to GMT).
BEFORE_MARCH, AFTER_MARCH = date(2027, 3, 24), date(2027, 3, 31)
BEFORE_OCTOBER, AFTER_OCTOBER = date(2027, 10, 27), date(2027, 11, 3)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def admin(db):
    return make_user(role="admin")


def test_19_00_in_london_is_19_00_utc_in_winter_and_18_00_utc_in_summer(db):
    cafes = {cafe.local_date: cafe for cafe in schedule.cafes_between(date(2027, 3, 20), date(2027, 11, 6))}
    assert cafes[BEFORE_MARCH].starts_at == utc(2027, 3, 24, 19)
    assert cafes[AFTER_MARCH].starts_at == utc(2027, 3, 31, 18)
    assert cafes[AFTER_MARCH].ends_at == utc(2027, 3, 31, 20)
    assert cafes[BEFORE_OCTOBER].starts_at == utc(2027, 10, 27, 18)
    assert cafes[AFTER_OCTOBER].starts_at == utc(2027, 11, 3, 19)
    assert all(cafe.local_date.weekday() == 2 for cafe in cafes.values())
    assert all(cafe.starts_at.astimezone(schedule.LONDON).hour == 19 for cafe in cafes.values())


def test_next_cafe_across_each_clock_change(db):
    # The evening after the last winter café: the next is the first summer one, an hour earlier in UTC.
    assert schedule.next_cafe(utc(2027, 3, 24, 21, 30)).starts_at == utc(2027, 3, 31, 18)
    assert schedule.next_cafe(utc(2027, 10, 27, 20, 30)).starts_at == utc(2027, 11, 3, 19)


def test_the_room_opens_15_minutes_before_and_closes_at_the_end(db):
    starts = utc(2027, 3, 31, 18)  # 19:00 BST
    assert schedule.open_cafe(starts - timedelta(minutes=16)) is None
    assert schedule.open_cafe(starts - timedelta(minutes=15)).starts_at == starts
    assert schedule.open_cafe(starts + timedelta(hours=1, minutes=59)).starts_at == starts
    assert schedule.open_cafe(starts + timedelta(hours=2)) is None
    # In winter the same wall-clock window is an hour later in UTC.
    assert schedule.open_cafe(utc(2027, 11, 3, 18, 44)) is None
    assert schedule.open_cafe(utc(2027, 11, 3, 18, 45)) is not None


def test_a_cancelled_wednesday_is_shown_cancelled_and_is_never_the_next_cafe(app, admin):
    today = schedule.london_today()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 or 7)
    schedule.cancel(admin, wednesday.isoformat(), "Bank holiday week")
    evening_before = schedule.london_moment(wednesday - timedelta(days=1), datetime.min.time().replace(hour=20))
    coming = schedule.upcoming(evening_before)
    assert (coming[0].local_date, coming[0].cancelled, coming[0].note) == (wednesday, True, "Bank holiday week")
    assert schedule.next_cafe(evening_before).local_date == wednesday + timedelta(days=7)
    assert schedule.open_cafe(coming[0].starts_at) is None
    assert AuditEntry.query.filter_by(action="cafe.cancel").count() == 1

    schedule.uncancel(admin, coming[0].session_id)
    assert schedule.next_cafe(evening_before).local_date == wednesday


def test_an_extra_session_is_on_the_calendar_and_opens_its_room(app, admin):
    day = schedule.london_today() + timedelta(days=3)
    row = schedule.add_extra(admin, day.isoformat(), "14:00", "15:30", "A daytime café", "Morgan")
    cafe = next(cafe for cafe in schedule.cafes_between(day, day) if cafe.extra)
    assert (cafe.note, cafe.host_name, cafe.session_id) == ("A daytime café", "Morgan", row.id)
    assert cafe.starts_at.astimezone(schedule.LONDON).strftime("%H:%M") == "14:00"
    assert schedule.open_cafe(cafe.starts_at - timedelta(minutes=5)).session_id == row.id

    schedule.remove_extra(admin, row.id)
    assert schedule.open_cafe(cafe.starts_at) is None
    called_off = next(cafe for cafe in schedule.cafes_between(day, day) if cafe.extra)
    assert called_off.cancelled


def test_new_weekly_times_apply_to_every_wednesday(app, admin):
    schedule.set_rule(admin, "18:30", "20:00", "Morgan")
    cafe = schedule.cafes_between(BEFORE_MARCH, BEFORE_MARCH)[0]
    assert (cafe.starts_at, cafe.ends_at, cafe.host_name) == (utc(2027, 3, 24, 18, 30), utc(2027, 3, 24, 20), "Morgan")


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda admin, day: schedule.set_rule(admin, "21:00", "19:00", ""), "end_time", "must end after it starts"),
    (lambda admin, day: schedule.set_rule(admin, "7pm", "21:00", ""), "start_time", "a time like 19:00"),
    (lambda admin, day: schedule.cancel(admin, "2020-01-01"), "date", "That date has passed"),
    (lambda admin, day: schedule.cancel(admin, "31/03/2027"), "date", "year-month-day"),
    (lambda admin, day: schedule.cancel(admin, (day + timedelta(days=1)).isoformat()), "date", "choose a Wednesday"),
    (lambda admin, day: schedule.add_extra(admin, "2020-01-01", "14:00", "15:00"), "date", "That date has passed"),
    (lambda admin, day: schedule.add_extra(admin, day.isoformat(), "15:00", "14:00"), "end_time",
     "must end after it starts"),
    (lambda admin, day: schedule.add_extra(admin, day.isoformat(), "20:00", "22:00"), "start_time",
     "Another café is on at that time"),
])
def test_admins_changes_that_cannot_work_are_refused_kindly(app, admin, change, field, words):
    today = schedule.london_today()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 or 7)
    with pytest.raises(ScheduleError) as refusal:
        change(admin, wednesday)
    assert refusal.value.field == field
    assert words in refusal.value.message
    assert schedule.rule() == schedule.Rule()
    assert all(not cafe.cancelled and not cafe.extra for cafe in schedule.upcoming())


def test_a_host_writes_a_summary_in_markdown_made_safe(app, admin):
    held = schedule.session_for(schedule.regular_cafe(BEFORE_MARCH))
    schedule.write_summary(admin, held, "We talked about **sleep**.\n\n<script>alert(1)</script>",
                           now=utc(2027, 3, 25))
    assert "<strong>sleep</strong>" in held.summary_html
    assert "<script>" not in held.summary_html
    assert schedule.recent_summaries() == [held]
    future = schedule.session_for(schedule.regular_cafe(AFTER_OCTOBER))
    with pytest.raises(ScheduleError, match="has not started yet"):
        schedule.write_summary(admin, future, "Too soon", now=utc(2027, 3, 25))
