"""`flask cafe ...`: jobs for cron (reminders, purging old messages)."""

import click
from flask import current_app

from . import bp, reminders, services

bp.cli.help = "Leaky Café jobs for cron: Wednesday reminders and removing messages past their retention."


@bp.cli.command("purge")
def purge() -> None:
    """Remove café messages older than CAFE_RETENTION_DAYS (default 30) after their session ended."""
    days = current_app.config["CAFE_RETENTION_DAYS"]
    removed = services.purge_old_messages(days)
    click.echo(f"Removed {removed} café message(s) from sessions that ended more than {days} days ago.")


@bp.cli.command("remind")
def remind() -> None:
    """Email the members who asked for café reminders, on a day with a café (cron: Wednesday mornings). Running it
    again the same day, or twice at once, sends nobody a second email."""
    sent = reminders.send_reminders()
    click.echo(f"Sent {sent} café reminder(s).")
