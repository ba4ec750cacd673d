"""Showing times to people: always in the reader's own time zone (Europe/London unless they chose another)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

DEFAULT_ZONE = "Europe/London"


def reader_zone() -> str:
    """The time zone of whoever is reading the page."""
    if current_user and current_user.is_authenticated:
        return current_user.time_zone or DEFAULT_ZONE
    return DEFAULT_ZONE


def day(moment: datetime, zone: str | None = None) -> str:
    """Like "3 March 2027"."""
    return moment.astimezone(ZoneInfo(zone or reader_zone())).strftime("%-d %B %Y")


def day_and_time(moment: datetime, zone: str | None = None) -> str:
    """Like "3 March 2027 at 19:05"."""
    return moment.astimezone(ZoneInfo(zone or reader_zone())).strftime("%-d %B %Y at %H:%M")


def iso_or_none(moment) -> str | None:
    """A date or time as ISO 8601 text (for data exports), or None when there is none."""
    return moment.isoformat() if moment is not None else None


def init_app(app: Flask) -> None:
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["day_and_time"] = day_and_time
