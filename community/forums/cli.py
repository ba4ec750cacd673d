"""`flask forums ...`: the daily digest of notifications (for cron)."""

import click

from community.notifications import services as notifications

from . import bp

bp.cli.help = "Forum jobs for cron: the daily email digest of notifications."


@bp.cli.command("digest")
def digest() -> None:
    """Email each member on the daily digest their unread notifications of the last day (once a day; safe to run
    twice: nothing is sent twice)."""
    sent = notifications.send_daily_digest()
    click.echo(f"Sent {sent} digest email(s).")
