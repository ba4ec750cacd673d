"""`flask pages ...`: load the resource hub's pages from community/pages/content/."""

import click

from . import bp, services

bp.cli.help = "Manage the resource hub pages."


@bp.cli.command("seed")
def seed() -> None:
    """Create hub pages from the content files. Pages that already exist (and their edits) are kept."""
    created = services.seed_pages()
    click.echo(f"Created {len(created)} page(s): {', '.join(created)}" if created else "All pages already exist.")
