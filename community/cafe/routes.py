"""The café's public pages: the schedule and its calendar feed; reminders; admins' schedule; hosts' summaries."""

from . import bp  # noqa: F401
