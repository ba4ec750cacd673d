"""`flask pages ...`: load the hub and trust pages from community/pages/content/; `flask settings ...`: the charity's
settings."""

import click
from flask.cli import AppGroup

from . import bp, services, site_settings

bp.cli.help = "Manage the resource hub pages."


@bp.cli.command("seed")
def seed() -> None:
    """Create hub and trust pages from the content files. Pages that already exist (and their edits) are kept."""
    created = services.seed_pages()
    click.echo(f"Created {len(created)} page(s): {', '.join(created)}" if created else "All pages already exist.")


@bp.cli.command("render")
def render() -> None:
    """Turn every page's Markdown into HTML again. Pages are rendered when saved; run this after an upgrade that
    changes how Markdown becomes HTML (the release notes say so)."""
    click.echo(f"Rendered {services.render_all_pages()} page(s).")


# `flask settings ...`: its own command group, registered on the app along with this blueprint.
settings_cli = AppGroup("settings", help="Show or change the charity's settings (also under Admin → Charity "
                                         "settings).")


@settings_cli.command("show")
def show_settings() -> None:
    """Print every setting with its value ("(default)" when it has not been set)."""
    values = site_settings.current_values()
    stored = site_settings.stored_keys()
    for key, value in values.items():
        note = "" if key in stored else " (default)" if value else "(not set)"
        click.echo(f"{key} = {value}{note}")


@settings_cli.command("set")
@click.argument("key", type=click.Choice(list(site_settings.SETTINGS)))
@click.argument("value")
@click.option("--reason", default="", help="Why, for the audit log.")
def set_setting(key: str, value: str, reason: str) -> None:
    """Set KEY (charity_name, charity_number, charity_address or charity_email) to VALUE.

    Example: flask settings set charity_number 1234567. Running web processes show it within a minute.
    """
    try:
        changed = site_settings.update_settings(None, {key: value}, reason or "flask settings set")
    except site_settings.SettingError as error:
        raise click.ClickException(error.message) from None
    value_now = site_settings.current_values()[key]
    click.echo(f"{key} = {value_now}" if changed else f"{key} was already {value_now}: nothing changed.")


bp.record_once(lambda state: state.app.cli.add_command(settings_cli))
