"""Reminder emails: members who opt in hear on the morning of each café (`flask cafe remind`, run by cron on
Wednesday mornings), at most once per member per day, however often or however many times at once it runs."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from community.accounts.models import User
from community.dates import DEFAULT_ZONE
from community.extensions import db, utcnow
from community.mail import external_url, send_email
from community.permissions import has_member_access

from .models import CafeReminder
from .schedule import cafes_between, london_today

REASON = "you asked for an email on the morning of each Leaky Café. To stop them, open the café page and choose " \
         "“Stop the reminders”"


def wants_reminders(user) -> bool:
    return db.session.get(CafeReminder, user.id) is not None


def set_reminders(user, wanted: bool) -> bool:
    """Turn the member's reminders on or off (doing it twice changes nothing). Returns whether they are on."""
    row = db.session.get(CafeReminder, user.id)
    if wanted and row is None:
        try:
            with db.session.begin_nested():
                db.session.add(CafeReminder(user_id=user.id))
        except IntegrityError:
            pass  # the same choice sent twice at once: already on
    elif not wanted and row is not None:
        db.session.delete(row)
    db.session.commit()
    return wanted


def send_reminders(now: datetime | None = None) -> int:
    """On a day with a café (not called off) still to come, email each opted-in member who still has member
    access, once: each email is claimed first with one conditional update, so a second run, or two at once, send
    nothing more. Returns how many were sent."""
    now = now or utcnow()
    today = london_today(now)
    cafes = [cafe for cafe in cafes_between(today, today) if not cafe.cancelled and cafe.ends_at > now]
    if not cafes:
        return 0
    not_yet_told = or_(CafeReminder.last_sent_for.is_(None), CafeReminder.last_sent_for < today)
    people = list(db.session.scalars(select(User).join(CafeReminder, CafeReminder.user_id == User.id)
                                     .where(not_yet_told).order_by(User.id)).unique())
    sent = 0
    for user in people:
        if not has_member_access(user):
            continue
        claimed = db.session.execute(update(CafeReminder).where(CafeReminder.user_id == user.id, not_yet_told)
                                     .values(last_sent_for=today))
        db.session.commit()
        if claimed.rowcount != 1:
            continue  # another run got there first
        zone = user.time_zone or DEFAULT_ZONE
        times = [_in_zone(cafe, zone, now) for cafe in cafes]
        send_email(user.email, f"The Leaky Café is on {times[0]['day']} at {times[0]['starts']}", "cafe_reminder",
                   REASON, user=user, cafes=times, zone=zone, cafe_url=external_url("cafe.index"),
                   room_url=external_url("cafe.room"), stop_url=external_url("cafe.index") + "#reminders")
        sent += 1
    return sent


def _in_zone(cafe, zone: str, now: datetime) -> dict:
    """A café's times as the member reads them (their own time zone: far away, a Wednesday evening in London may be
    tomorrow morning), with its note and host."""
    tz = ZoneInfo(zone)
    starts = cafe.starts_at.astimezone(tz)
    return {"day": "today" if starts.date() == now.astimezone(tz).date() else f"{starts:%A}",
            "starts": f"{starts:%H:%M}", "ends": f"{cafe.ends_at.astimezone(tz):%H:%M}",
            "opens": f"{cafe.opens_at.astimezone(tz):%H:%M}", "extra": cafe.extra, "note": cafe.note,
            "host": cafe.host_name}
