"""/cafe/calendar.ics parsed back with icalendar and expanded with recurring_ical_events across both of 2027's
clock changes: every café at 19:00 in London, cancelled dates out, extra sessions in, and a VTIMEZONE with yearly
rules (the form every calendar client reads right: ../shared/notes/calendar.md)."""

from datetime import date, timedelta

import pytest
import recurring_ical_events
from icalendar import Calendar

from community.cafe import feed, schedule
from community.extensions import utcnow
from tests.factories import make_user

# From the Wednesday before March's change (28 March 2027) to the one after October's (31 October 2027).
FROM, UNTIL = date(2027, 3, 20), date(2027, 11, 7)


@pytest.fixture
def admin(db):
    return make_user(role="admin")


def parsed(client, url="/cafe/calendar.ics") -> Calendar:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.data)


def occurrences(calendar: Calendar, first=FROM, last=UNTIL) -> list:
    return recurring_ical_events.of(calendar).between(first, last)


def test_every_wednesday_is_at_19_00_in_london_across_both_clock_changes(client, db):
    events = occurrences(parsed(client))
    starts = [event["DTSTART"].dt for event in events]
    assert len(starts) == 33  # every Wednesday from 24 March to 3 November 2027
    assert all(start.weekday() == 2 for start in starts)
    assert {start.astimezone(schedule.LONDON).strftime("%H:%M") for start in starts} == {"19:00"}
    by_day = {start.date(): start.astimezone(schedule.LONDON).utcoffset() for start in starts}
    assert by_day[date(2027, 3, 24)] == timedelta(0)  # GMT: 19:00 UTC
    assert by_day[date(2027, 3, 31)] == timedelta(hours=1)  # BST: 18:00 UTC
    assert by_day[date(2027, 10, 27)] == timedelta(hours=1)
    assert by_day[date(2027, 11, 3)] == timedelta(0)
    assert all(event["DTEND"].dt.astimezone(schedule.LONDON).strftime("%H:%M") == "21:00" for event in events)


def test_the_feed_defines_london_with_yearly_rules_not_a_list_of_dates(client, db):
    calendar = parsed(client)
    zones = calendar.walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in zones] == ["Europe/London"]
    rules = {part.name: part["RRULE"] for part in zones[0].subcomponents}
    assert rules["DAYLIGHT"]["BYMONTH"] == [3] and rules["DAYLIGHT"]["BYDAY"] == ["-1SU"]
    assert rules["STANDARD"]["BYMONTH"] == [10] and rules["STANDARD"]["BYDAY"] == ["-1SU"]
    assert not any("RDATE" in part for part in zones[0].subcomponents)
    weekly = calendar.walk("VEVENT")[0]
    assert weekly["RRULE"]["FREQ"] == ["WEEKLY"] and weekly["RRULE"]["BYDAY"] == ["WE"]
    assert weekly["DTSTART"].params["TZID"] == "Europe/London"
    assert str(weekly["SUMMARY"]) == "Leaky Café"
    assert "DTSTAMP" in weekly and str(weekly["URL"]).endswith("/cafe")
    assert b"DTSTART;TZID=Europe/London:" in client.get("/cafe/calendar.ics").data


def test_cancelled_dates_are_left_out_and_extra_sessions_are_in(client, admin):
    today = schedule.london_today()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 or 7)
    schedule.cancel(admin, wednesday.isoformat(), "Bank holiday week")
    extra = schedule.add_extra(admin, (wednesday + timedelta(days=2)).isoformat(), "14:00", "15:30",
                               "A daytime café", "Morgan")
    called_off = schedule.add_extra(admin, (wednesday + timedelta(days=3)).isoformat(), "14:00", "15:00")
    schedule.remove_extra(admin, called_off.id)

    calendar = parsed(client)
    events = occurrences(calendar, wednesday - timedelta(days=7), wednesday + timedelta(days=15))
    days = sorted(event["DTSTART"].dt.date() for event in events)
    assert wednesday not in days
    assert wednesday - timedelta(days=7) in days and wednesday + timedelta(days=7) in days
    extras = [event for event in events if "extra session" in str(event["SUMMARY"])]
    assert [event["DTSTART"].dt.date() for event in extras] == [wednesday + timedelta(days=2)]
    assert extras[0]["DTSTART"].dt.astimezone(schedule.LONDON).strftime("%H:%M") == "14:00"
    assert "A daytime café" in str(extras[0]["DESCRIPTION"])
    assert str(extras[0]["UID"]) == f"cafe-session-{extra.id}@{feed.UID_DOMAIN}"


def test_uids_stay_the_same_from_one_fetch_to_the_next(client, admin):
    day = schedule.london_today() + timedelta(days=1)
    schedule.add_extra(admin, day.isoformat(), "10:00", "11:00")
    first = [str(event["UID"]) for event in parsed(client).walk("VEVENT")]
    second = [str(event["UID"]) for event in parsed(client).walk("VEVENT")]
    assert first == second and len(set(first)) == 2


def test_new_weekly_times_start_a_new_series_from_the_next_wednesday(client, admin):
    schedule.set_rule(admin, "18:30", "20:30", "Morgan")
    weekly = parsed(client).walk("VEVENT")[0]
    first = weekly["DTSTART"].dt
    changed = schedule.london_today()
    assert first.date() == changed + timedelta(days=(2 - changed.weekday()) % 7)
    assert first.strftime("%H:%M") == "18:30"
    assert "Morgan" in str(weekly["DESCRIPTION"])
    expanded = occurrences(parsed(client), changed - timedelta(days=14), changed + timedelta(days=60))
    assert {event["DTSTART"].dt.astimezone(schedule.LONDON).strftime("%H:%M") for event in expanded} == {"18:30"}
    assert min(event["DTSTART"].dt.date() for event in expanded) >= changed


def test_one_cafe_downloads_as_its_own_file(client, db):
    coming = schedule.next_cafe()
    response = client.get(f"/cafe/calendar/{coming.local_date.isoformat()}.ics")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    events = Calendar.from_ical(response.data).walk("VEVENT")
    assert [event["DTSTART"].dt for event in events] == [coming.starts_at]
    tuesday = coming.local_date - timedelta(days=1)
    assert client.get(f"/cafe/calendar/{tuesday.isoformat()}.ics").status_code == 404
    assert client.get("/cafe/calendar/not-a-date.ics").status_code == 404


def test_the_feed_may_be_cached_for_a_while_by_anyone(client, db):
    response = client.get("/cafe/calendar.ics")
    assert response.headers["Cache-Control"] == "public, max-age=900"
    # DTSTAMP: when the feed was made, in UTC.
    stamp = Calendar.from_ical(response.data).walk("VEVENT")[0]["DTSTAMP"].dt
    assert abs(stamp - utcnow()) < timedelta(minutes=1)
