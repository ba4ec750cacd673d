"""When the café happens: every Wednesday at the admins' London times (clock changes handled by computing each
date's wall-clock time in Europe/London), minus cancelled dates, plus extra sessions. The room opens 15 minutes
before a café starts and closes at its end. Hosts write a short summary of a café afterwards."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from community.extensions import db, utcnow
from community.markdown import render_markdown
from community.moderation.services import record_action
from community.process_cache import ProcessCache
from community.refusals import Refusal

from .models import CafeSchedule, CafeSession

LONDON = ZoneInfo("Europe/London")
WEDNESDAY = 2
DEFAULT_START, DEFAULT_END = "19:00", "21:00"
OPENS_EARLY = timedelta(minutes=15)
NOTE_MAX = 200
HOST_MAX = 80
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class ScheduleError(Refusal):
    """A schedule change we refuse, with a kind message."""


@dataclass(frozen=True)
class Rule:
    start_time: str = DEFAULT_START
    end_time: str = DEFAULT_END
    host_name: str = ""


@dataclass(frozen=True)
class Cafe:
    """One café on the calendar, regular or extra, perhaps cancelled."""

    starts_at: datetime
    ends_at: datetime
    local_date: date
    extra: bool = False
    cancelled: bool = False
    note: str = ""
    host_name: str = ""
    session_id: int | None = None

    @property
    def opens_at(self) -> datetime:
        return self.starts_at - OPENS_EARLY

    def is_open(self, now: datetime) -> bool:
        return not self.cancelled and self.opens_at <= now < self.ends_at


def rule() -> Rule:
    row = db.session.get(CafeSchedule, 1)
    if row is None:
        return Rule()
    return Rule(row.start_time, row.end_time, row.host_name)


def parse_time(text: str, label: str, field: str) -> time:
    match = _TIME.match((text or "").strip())
    if not match:
        raise ScheduleError(f"{label}: please give a time like 19:00 (24-hour clock).", field)
    return time(int(match.group(1)), int(match.group(2)))


def london_moment(local_date: date, wall_clock: time) -> datetime:
    """The UTC moment of a London wall-clock time on a date (19:00 is 19:00 UTC in winter, 18:00 UTC in summer)."""
    return datetime.combine(local_date, wall_clock, tzinfo=LONDON).astimezone(UTC)


def _span(local_date: date, start: str, end: str) -> tuple[datetime, datetime]:
    starts = london_moment(local_date, parse_time(start, "Start", "start_time"))
    ends = london_moment(local_date, parse_time(end, "End", "end_time"))
    return starts, ends


def regular_cafe(local_date: date, the_rule: Rule | None = None) -> Cafe:
    the_rule = the_rule or rule()
    starts, ends = _span(local_date, the_rule.start_time, the_rule.end_time)
    return Cafe(starts, ends, local_date, host_name=the_rule.host_name)


def _from_row(row: CafeSession, default_host: str = "") -> Cafe:
    return Cafe(row.starts_at, row.ends_at, row.local_date, extra=row.extra, cancelled=row.cancelled,
                note=row.note, host_name=row.host_name or default_host, session_id=row.id)


def cafes_between(first_day: date, last_day: date) -> list[Cafe]:
    """Every café from `first_day` to `last_day` (London dates) in time order, cancelled ones included. One query."""
    the_rule = rule()
    rows = list(db.session.scalars(select(CafeSession).where(CafeSession.local_date >= first_day,
                                                             CafeSession.local_date <= last_day)))
    cancelled_days = {row.local_date: row for row in rows if row.cancelled and not row.extra}
    rows_by_start = {row.starts_at: row for row in rows}
    cafes = [_from_row(row, the_rule.host_name) for row in rows if row.extra]
    day = first_day + timedelta(days=(WEDNESDAY - first_day.weekday()) % 7)
    while day <= last_day:
        regular = regular_cafe(day, the_rule)
        if day in cancelled_days:
            cafes.append(_from_row(cancelled_days[day], the_rule.host_name))
        elif regular.starts_at in rows_by_start and not rows_by_start[regular.starts_at].extra:
            cafes.append(_from_row(rows_by_start[regular.starts_at], the_rule.host_name))
        else:
            cafes.append(regular)
        day += timedelta(days=7)
    return sorted(cafes, key=lambda cafe: cafe.starts_at)


def london_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(LONDON).date()


def upcoming(now: datetime | None = None, weeks: int = 8) -> list[Cafe]:
    """Cafés not yet over, soonest first (cancelled ones too, so members see them called off)."""
    now = now or utcnow()
    today = london_today(now)
    return [cafe for cafe in cafes_between(today - timedelta(days=1), today + timedelta(weeks=weeks))
            if cafe.ends_at > now]


def next_cafe(now: datetime | None = None) -> Cafe | None:
    """The café open now or the next one to come (never a cancelled one)."""
    return next((cafe for cafe in upcoming(now) if not cafe.cancelled), None)


# The home page names the next café, and the café page lists the weeks ahead, on every visit: both kept per
# process for a minute (schedule changes made in this process clear them at once; other processes see them within
# the minute).
NEXT_CACHE_SECONDS = 60
_next_cafe_cache: ProcessCache[Cafe | None] = ProcessCache("cafe.next", NEXT_CACHE_SECONDS)
_upcoming_cache: ProcessCache[tuple[date, int, list[Cafe]]] = ProcessCache("cafe.upcoming", NEXT_CACHE_SECONDS)
# The room's pages and events ask which café is open on every request: only an open café is kept (a closed room
# asks again), and its row is still read fresh each time, so a cancellation, the topic or slow mode show at once.
_open_cafe_cache: ProcessCache[Cafe | None] = ProcessCache("cafe.open", NEXT_CACHE_SECONDS)


def next_cafe_cached(now: datetime | None = None) -> Cafe | None:
    now = now or utcnow()
    return _next_cafe_cache.get(lambda: next_cafe(now), still_good=lambda cafe: cafe is None or cafe.ends_at > now)


def upcoming_cached(now: datetime | None = None, weeks: int = 8) -> list[Cafe]:
    """`upcoming`, from the calendar kept for the day (London's) and number of weeks."""
    now = now or utcnow()
    today = london_today(now)
    _day, _weeks, cafes = _upcoming_cache.get(
        lambda: (today, weeks, cafes_between(today - timedelta(days=1), today + timedelta(weeks=weeks))),
        still_good=lambda kept: kept[:2] == (today, weeks))
    return [cafe for cafe in cafes if cafe.ends_at > now]


def _forget_kept_cafes() -> None:
    """After a change is committed (before it, a request could refill the copies with the old calendar)."""
    _next_cafe_cache.clear()
    _upcoming_cache.clear()
    _open_cafe_cache.clear()


def open_cafe(now: datetime | None = None) -> Cafe | None:
    now = now or utcnow()
    cafe = next_cafe(now)
    return cafe if cafe is not None and cafe.is_open(now) else None


def session_for(cafe: Cafe) -> CafeSession:
    """The café's row, made the first time it is needed. Two processes making it at once both get the same one."""
    if cafe.session_id is not None:
        return db.session.get(CafeSession, cafe.session_id)
    row = db.session.scalar(select(CafeSession).where(CafeSession.starts_at == cafe.starts_at))
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = CafeSession(starts_at=cafe.starts_at, ends_at=cafe.ends_at, local_date=cafe.local_date,
                              extra=cafe.extra, note=cafe.note, host_name="")
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalar(select(CafeSession).where(CafeSession.starts_at == cafe.starts_at))
    db.session.commit()
    _forget_kept_cafes()  # a new row is a change to the calendar (an extra session, say): show it at once
    return row


def open_session(now: datetime | None = None) -> CafeSession | None:
    """The room's session when the room is open now (or at `now`), else None."""
    if now is None:
        moment = utcnow()
        cafe = _open_cafe_cache.get(lambda: open_cafe(moment),
                                    still_good=lambda kept: kept is not None and kept.is_open(moment))
    else:
        cafe = open_cafe(now)
    return session_for(cafe) if cafe is not None else None


def is_session_open(session: CafeSession, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return not session.cancelled and session.starts_at - OPENS_EARLY <= now < session.ends_at


# Admins' changes ---------------------------------------------------------------------------------------------

def _clean(text: str, limit: int, label: str, field: str) -> str:
    text = " ".join((text or "").replace("\x00", "").split())
    if len(text) > limit:
        raise ScheduleError(f"{label}: please keep it to {limit} characters.", field)
    return text


def _check_order(start: str, end: str) -> None:
    if parse_time(end, "End", "end_time") <= parse_time(start, "Start", "start_time"):
        raise ScheduleError("The café must end after it starts, on the same day.", "end_time")


def set_rule(admin, start_time: str, end_time: str, host_name: str) -> Rule:
    _check_order(start_time, end_time)
    start = parse_time(start_time, "Start", "start_time").strftime("%H:%M")
    end = parse_time(end_time, "End", "end_time").strftime("%H:%M")
    host = _clean(host_name, HOST_MAX, "Host", "host_name")
    old = rule()
    row = db.session.get(CafeSchedule, 1) or CafeSchedule(id=1)
    row.start_time, row.end_time, row.host_name, row.updated_at = start, end, host, utcnow()
    db.session.add(row)
    record_action(admin, "cafe.schedule", "cafe_schedule", 1,
                  detail=f"{old.start_time}–{old.end_time} → {start}–{end}; host: {host or 'none'}")
    db.session.commit()
    _forget_kept_cafes()
    return rule()


def _future_day(text: str, field: str = "date") -> date:
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        raise ScheduleError("Please give the date as year-month-day, like 2027-03-31.", field) from None
    if day < london_today():
        raise ScheduleError("That date has passed. Please choose today or a later date.", field)
    return day


def cancel(admin, day_text: str, note: str = "") -> CafeSession:
    """Call off the regular café on a Wednesday (members see it cancelled, with the note)."""
    day = _future_day(day_text)
    if day.weekday() != WEDNESDAY:
        raise ScheduleError("The regular café is on Wednesdays: please choose a Wednesday. To call off an extra "
                            "session, remove it from the list of extra sessions.", "date")
    note = _clean(note, NOTE_MAX, "Note", "note")
    row = session_for(regular_cafe(day))
    row.cancelled, row.note = True, note
    record_action(admin, "cafe.cancel", "cafe_session", row.id, detail=f"{day.isoformat()}", reason=note)
    db.session.commit()
    _forget_kept_cafes()
    return row


def uncancel(admin, session_id: int) -> None:
    row = db.session.get(CafeSession, session_id)
    if row is None or not row.cancelled or row.extra:
        raise ScheduleError("That café is not cancelled.")
    row.cancelled, row.note = False, ""
    # The weekly rule may have moved since it was cancelled: the café happens at today's times.
    cafe = regular_cafe(row.local_date)
    row.starts_at, row.ends_at = cafe.starts_at, cafe.ends_at
    record_action(admin, "cafe.uncancel", "cafe_session", row.id, detail=row.local_date.isoformat())
    db.session.commit()
    _forget_kept_cafes()


def add_extra(admin, day_text: str, start_time: str, end_time: str, note: str = "",
              host_name: str = "") -> CafeSession:
    day = _future_day(day_text)
    _check_order(start_time, end_time)
    starts, ends = _span(day, start_time, end_time)
    return add_session(admin, starts, ends, note, host_name)


def add_session(admin, starts: datetime, ends: datetime, note: str = "", host_name: str = "") -> CafeSession:
    """An extra café from one moment to another (the demo's runs from now for three hours, past midnight too)."""
    day = london_today(starts)
    overlapping = [cafe for cafe in cafes_between(day - timedelta(days=1), london_today(ends)) if not cafe.cancelled
                   and cafe.starts_at < ends and starts < cafe.ends_at]
    if overlapping:
        raise ScheduleError("Another café is on at that time. Please choose times that do not overlap it.",
                            "start_time")
    row = CafeSession(starts_at=starts, ends_at=ends, local_date=day, extra=True,
                      note=_clean(note, NOTE_MAX, "Note", "note"), host_name=_clean(host_name, HOST_MAX, "Host",
                                                                                    "host_name"))
    db.session.add(row)
    db.session.flush()
    record_action(admin, "cafe.extra", "cafe_session", row.id,
                  detail=f"{day.isoformat()} {starts:%H:%M}–{ends:%H:%M} UTC", reason=row.note)
    db.session.commit()
    _forget_kept_cafes()
    return row


def remove_extra(admin, session_id: int) -> None:
    """An extra session is called off (kept, marked cancelled, so its messages and the record stay)."""
    row = db.session.get(CafeSession, session_id)
    if row is None or not row.extra or row.cancelled:
        raise ScheduleError("That extra session is not on the calendar.")
    row.cancelled = True
    record_action(admin, "cafe.extra_cancel", "cafe_session", row.id, detail=row.local_date.isoformat())
    db.session.commit()
    _forget_kept_cafes()


# Hosts' summaries ---------------------------------------------------------------------------------------------
# (Here rather than in services.py: a summary is about a session, and the café page reads them with the schedule.)

SUMMARY_MAX = 5000


def get_session(session_id: int) -> CafeSession:
    """A café's row, or a 404 (routes call this to load a session by its id)."""
    row = db.session.get(CafeSession, session_id)
    if row is None:
        abort(404)
    return row


def write_summary(host, session: CafeSession, text: str, now: datetime | None = None) -> CafeSession:
    """Save (or replace, or with empty text remove) a host's short Markdown summary of a café that has started, for
    members who could not come. Rendered once here, as members' words (sanitised; links nofollow; no images)."""
    now = now or utcnow()
    if session.cancelled:
        raise ScheduleError("That café was called off, so there is nothing to summarise.", "summary")
    if session.starts_at > now:
        raise ScheduleError("That café has not started yet. Please write the summary once it has begun.", "summary")
    text = (text or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if len(text) > SUMMARY_MAX:
        raise ScheduleError(f"The summary is {len(text):,} characters long. It can be up to {SUMMARY_MAX:,}: please "
                            "shorten it a little.", "summary")
    session.summary = text
    # Shown under a session's <h3> on the café page, so its own headings start at <h4>.
    session.summary_html = str(render_markdown(text, lowest_heading=4, user_content=True).html) if text else ""
    session.summary_by_id = host.id if text else None
    session.summary_at = now if text else None
    record_action(host, "cafe.summary", "cafe_session", session.id, detail=text[:200] or "(removed)")
    db.session.commit()
    return session


def recent_summaries(limit: int = 3) -> list[CafeSession]:
    """The latest hosts' summaries, newest café first (one query)."""
    return list(db.session.scalars(select(CafeSession).where(CafeSession.summary_html != "")
                                   .order_by(CafeSession.starts_at.desc()).limit(limit)))


def sessions_to_summarise(now: datetime | None = None, limit: int = 4) -> list[CafeSession]:
    """The latest cafés that have started and were held (they have a row once someone opened the room), for the
    hosts' "Write a summary" links."""
    now = now or utcnow()
    return list(db.session.scalars(select(CafeSession).where(CafeSession.starts_at <= now,
                                                             CafeSession.cancelled.is_(False))
                                   .order_by(CafeSession.starts_at.desc()).limit(limit)))
