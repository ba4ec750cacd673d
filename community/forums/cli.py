"""`flask forums ...`: the daily digest of notifications (for cron)."""

from . import bp  # noqa: F401
