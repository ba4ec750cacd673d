"""`flask moderation ...`: moderation's settings and watched words, for admins on the server."""

import click

from . import bp, services
from .models import WATCHED_WORD_ACTIONS

bp.cli.help = ("Moderation settings and watched words (also under Admin in the site). Changes are recorded in the "
               "audit log as made from the command line.")


@bp.cli.command("settings")
def show_settings() -> None:
    """Show moderation's settings and what each one does."""
    for key, (label, default, low, high) in services.SETTINGS.items():
        click.echo(f"{key} = {services.setting(key)}    {label} (default {default}, {low} to {high})")


@bp.cli.command("set")
@click.argument("key", type=click.Choice(list(services.SETTINGS)))
@click.argument("value")
def set_value(key: str, value: str) -> None:
    """Change one setting: held_first_posts (a new member's first posts held for approval) or flags_to_hide
    (different members' flags that hide content until a moderator looks)."""
    try:
        services.set_setting(None, key, value)
    except services.ModerationError as refusal:
        raise click.ClickException(refusal.message) from None
    click.echo(f"{key} = {services.setting(key)}")


@bp.cli.command("words")
def list_words() -> None:
    """List the watched words and what each does (the built-in crisis wording is always watched too)."""
    words = services.watched_words()
    if not words:
        click.echo("No watched words yet.")
    for word in words:
        click.echo(f"{word.action:<7} {word.phrase}")
    click.echo(f"Built-in crisis wording (never blocked): {', '.join(services.CRISIS_PHRASES)}")


@bp.cli.command("add-word")
@click.argument("phrase")
@click.argument("action", type=click.Choice(list(WATCHED_WORD_ACTIONS)))
def add_word(phrase: str, action: str) -> None:
    """Watch PHRASE: block (refuse the post, kindly), hold (wait for a moderator), flag (post it and put it in the
    queue) or crisis (post it, show the writer help, alert moderators). Crisis wording cannot be blocked."""
    try:
        word = services.add_watched_word(None, phrase, action)
    except services.ModerationError as refusal:
        raise click.ClickException(refusal.message) from None
    click.echo(f"Watching “{word.phrase}”: {action}.")


@bp.cli.command("remove-word")
@click.argument("phrase")
def remove_word(phrase: str) -> None:
    """Stop watching PHRASE."""
    try:
        cleaned = services.clean_phrase(phrase)
    except services.ModerationError as refusal:
        raise click.ClickException(refusal.message) from None
    word = next((word for word in services.watched_words() if word.phrase == cleaned), None)
    if word is None:
        raise click.ClickException(f"“{cleaned}” is not watched.")
    services.remove_watched_word(None, word.id)
    click.echo(f"No longer watching “{cleaned}”.")
