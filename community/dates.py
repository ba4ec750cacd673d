"""Showing times to people: always in the reader's own time zone (Europe/London unless they chose another)."""

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

DEFAULT_ZONE = "Europe/London"


def reader_zone() -> str:
    """The time zone of whoever is reading the page."""
    user = current_user._get_current_object()  # once: each use of the proxy looks the user up again
    if user and user.is_authenticated:
        return user.time_zone or DEFAULT_ZONE
    return DEFAULT_ZONE


def day(moment: datetime, zone: str | None = None) -> str:
    """Like "3 March 2027"."""
    return local_time(moment, "%-d %B %Y", zone)


def day_and_time(moment: datetime, zone: str | None = None) -> str:
    """Like "3 March 2027 at 19:05"."""
    return local_time(moment, "%-d %B %Y at %H:%M", zone)


def local_time(moment: datetime, pattern: str, zone: str | None = None) -> str:
    """`moment` written with strftime's `pattern` in `zone`, by default the reader's."""
    return _formatted(moment, zone or reader_zone(), pattern)


# A page shows the same few dates to everyone who reads it (a thread's posts, the stories, the café's schedule):
# each is worked out once.
@lru_cache(maxsize=8192)
def _formatted(moment: datetime, zone: str, pattern: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime(pattern)


def iso_or_none(moment) -> str | None:
    """A date or time as ISO 8601 text (for data exports), or None when there is none."""
    return moment.isoformat() if moment is not None else None


def init_app(app: Flask) -> None:
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["day_and_time"] = day_and_time
