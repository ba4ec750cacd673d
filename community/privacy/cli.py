"""`flask privacy purge`: run daily from cron; each part removes what it no longer needs to keep."""

import click

from . import bp, registry

bp.cli.help = "Privacy jobs for cron: remove what is past its time (see README, Privacy and security)."


@bp.cli.command("purge")
def purge() -> None:
    """Remove expired log-in sessions, café messages past their retention, accounts never verified after 30 days,
    and Gift Aid records of erased accounts after six years."""
    for part in registry.parts():
        if part.purge is not None:
            click.echo(f"{part.title}: {part.purge()}")
