"""The café's calendar: a public iCalendar feed (`/cafe/calendar.ics`) and one café as a file to add.

The weekly café is one event repeating every Wednesday (`RRULE:FREQ=WEEKLY;BYDAY=WE`) at its London wall-clock time,
with the cancelled dates left out (`EXDATE`); each extra session is an event of its own. Times carry
`TZID=Europe/London`, defined by a VTIMEZONE written here with yearly rules for the clock changes (as Google and
Outlook write it): the long RDATE list icalendar's `add_missing_timezones()` writes was read by ical.js as +01:00
all year (../shared/notes/calendar.md), which would put every winter café an hour out.

The series starts on the first Wednesday on or after the day the weekly times last changed (or SERIES_ORIGIN when
they never have): a change of time starts a new series, and the feed never claims that past cafés ran at today's
times. Its UID names that first date, so it stays the same until the times change again."""

from datetime import date, datetime, timedelta

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vRecur
from sqlalchemy import select

from community.extensions import db, utcnow
from community.mail import external_url

from .models import CafeSchedule, CafeSession
from .schedule import LONDON, WEDNESDAY, Cafe, cafes_between, london_today, parse_time, rule

UID_DOMAIN = "targetcsfleaks.org.uk"
SERIES_ORIGIN = date(2026, 1, 7)  # a Wednesday before the café's first, for a schedule never changed
# Extra sessions this long ago still appear (a calendar keeps showing what it showed a few weeks back).
PAST_EXTRAS = timedelta(days=60)
SUMMARY = "Leaky Café"
DESCRIPTION = ("A relaxed live chat for members of Target CSF Leaks, hosted by the charity. Come as you are, for a "
               "few minutes or the whole time: the room opens 15 minutes before the start. Dates and changes: {url}")


def london_timezone() -> Timezone:
    """Europe/London as a VTIMEZONE with yearly rules: BST from 01:00 UTC on the last Sunday of March, GMT again
    from 02:00 BST on the last Sunday of October."""
    zone = Timezone()
    zone.add("tzid", "Europe/London")
    summer = TimezoneDaylight()
    summer.add("tzname", "BST")
    summer.add("dtstart", datetime(1970, 3, 29, 1, 0))
    summer.add("tzoffsetfrom", timedelta(hours=0))
    summer.add("tzoffsetto", timedelta(hours=1))
    summer.add("rrule", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))
    winter = TimezoneStandard()
    winter.add("tzname", "GMT")
    winter.add("dtstart", datetime(1970, 10, 25, 2, 0))
    winter.add("tzoffsetfrom", timedelta(hours=1))
    winter.add("tzoffsetto", timedelta(hours=0))
    winter.add("rrule", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


def series_start() -> date:
    """The first Wednesday of the weekly series at today's times (see the module's docstring)."""
    row = db.session.get(CafeSchedule, 1)
    if row is None or row.updated_at is None:
        return SERIES_ORIGIN
    changed = london_today(row.updated_at)
    return changed + timedelta(days=(WEDNESDAY - changed.weekday()) % 7)


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Target CSF Leaks//Leaky Café//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", SUMMARY)
    calendar.add("x-wr-timezone", "Europe/London")
    calendar.add_component(london_timezone())
    return calendar


def _event(uid: str, starts: datetime, ends: datetime, now: datetime, title: str = SUMMARY,
           host: str = "", note: str = "") -> Event:
    """An event at London wall-clock times (TZID=Europe/London)."""
    url = external_url("cafe.index")
    event = Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("dtstamp", now)
    event.add("dtstart", starts.astimezone(LONDON))
    event.add("dtend", ends.astimezone(LONDON))
    event.add("summary", title)
    details = [note] if note else []
    if host:
        details.append(f"Hosted by {host}.")
    details.append(DESCRIPTION.format(url=url))
    event.add("description", "\n\n".join(details))
    event.add("url", url)
    event.add("location", url)
    event.add("transp", "OPAQUE")
    return event


def _weekly(now: datetime, first: date) -> Event:
    the_rule = rule()
    starts = datetime.combine(first, parse_time(the_rule.start_time, "Start", "start_time"), tzinfo=LONDON)
    ends = datetime.combine(first, parse_time(the_rule.end_time, "End", "end_time"), tzinfo=LONDON)
    event = _event(f"cafe-weekly-{first:%Y%m%d}", starts, ends, now, host=the_rule.host_name)
    event.add("rrule", {"freq": "weekly", "byday": "WE"})
    cancelled = db.session.scalars(select(CafeSession.local_date).where(
        CafeSession.cancelled.is_(True), CafeSession.extra.is_(False), CafeSession.local_date >= first)
        .order_by(CafeSession.local_date))
    for day in cancelled:
        # An EXDATE names the occurrence's own start: that date at the weekly time, in London.
        event.add("exdate", datetime.combine(day, starts.timetz().replace(tzinfo=None), tzinfo=LONDON))
    return event


def _extra(cafe_row: CafeSession, now: datetime) -> Event:
    return _event(f"cafe-session-{cafe_row.id}", cafe_row.starts_at, cafe_row.ends_at, now,
                  title=f"{SUMMARY} (extra session)", host=cafe_row.host_name, note=cafe_row.note)


def calendar_feed(now: datetime | None = None) -> bytes:
    """The whole calendar: the weekly series with its cancelled dates out, and every extra session not called off
    (those of the last few weeks too)."""
    now = now or utcnow()
    calendar = _calendar()
    calendar.add_component(_weekly(now, series_start()))
    extras = db.session.scalars(select(CafeSession).where(
        CafeSession.extra.is_(True), CafeSession.cancelled.is_(False),
        CafeSession.local_date >= london_today(now) - PAST_EXTRAS).order_by(CafeSession.starts_at))
    for row in extras:
        calendar.add_component(_extra(row, now))
    return calendar.to_ical()


def cafes_on(day: date) -> list[Cafe]:
    """The cafés held on a London date (none when there are none or all are called off)."""
    return [cafe for cafe in cafes_between(day, day) if not cafe.cancelled]


def one_day(day: date, now: datetime | None = None) -> bytes | None:
    """The cafés of one date as a calendar file to open (each a single event), or None when there is none."""
    now = now or utcnow()
    cafes = cafes_on(day)
    if not cafes:
        return None
    calendar = _calendar()
    for cafe in cafes:
        uid = f"cafe-session-{cafe.session_id}" if cafe.extra else f"cafe-{cafe.starts_at:%Y%m%dT%H%MZ}"
        calendar.add_component(_event(uid, cafe.starts_at, cafe.ends_at, now,
                                      title=f"{SUMMARY} (extra session)" if cafe.extra else SUMMARY,
                                      host=cafe.host_name, note=cafe.note))
    return calendar.to_ical()
