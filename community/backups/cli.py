"""`flask backup` and `flask restore`: the whole database to one file and back (see services for how)."""

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from community.extensions import db

from . import services

CONFIRMATION = "restore"
HEALTH_DATA_WARNING = ("It holds members' health data: keep it encrypted, off this server and readable only by the "
                       "people who run the site.")


def _database_url() -> str:
    # The engine's URL: Flask-SQLAlchemy has already made a relative SQLite path absolute (inside instance/).
    return db.engine.url.render_as_string(hide_password=False)


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


@click.command("backup")
@click.option("--to", "destination", type=click.Path(dir_okay=True),
              help="The new file to write, or a folder (an existing one, or ending in /) to write "
                   "community-<UTC time>.db|.dump in. Default: the folder instance/backups/.")
@with_appcontext
def backup(destination: str | None) -> None:
    """Copy the whole database into one new file (mode 0600), safely while the site runs. Run it nightly from
    cron and keep the file encrypted."""
    url = _database_url()
    try:
        if destination is None:
            path = services.default_destination(Path(current_app.instance_path) / "backups", url)
        elif destination.endswith("/") or Path(destination).is_dir():
            path = services.default_destination(destination, url)
        else:
            path = Path(destination)
        written = services.back_up(url, path)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {services.describe(url)} to {written} ({_size(written)}).")
    click.echo(HEALTH_DATA_WARNING)


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: replace everything in the database with the backup.")
@with_appcontext
def restore(source: Path, yes: bool) -> None:
    """Replace EVERYTHING in the database with a backup made by `flask backup`. Stop the site first."""
    url = _database_url()
    try:
        services.check_restorable(url, source)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from None
    made = datetime.fromtimestamp(source.stat().st_mtime, UTC).strftime("%d %b %Y %H:%M UTC")
    if not yes:
        click.echo(f"This REPLACES everything in {services.describe(url)} with the backup {source} (saved {made}). "
                   "Anything written since that backup is lost. Stop the site before you go on.")
        try:
            answer = click.prompt(f"Type {CONFIRMATION} to go on", default="", show_default=False)
        except click.Abort:
            answer = ""
        if answer.strip().lower() != CONFIRMATION:
            raise click.ClickException(f"Nothing was restored: {CONFIRMATION} was not typed. (In a script, add --yes.)")
    # Our own pooled connections must not hold locks pg_restore needs (and must not keep the old schema cached).
    db.session.remove()
    db.engine.dispose()
    try:
        services.restore(url, source)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from None
    finally:
        db.engine.dispose()
    click.echo(f"Restored {services.describe(url)} from {source} (saved {made}).")
    click.echo(_schema_advice(services.schema_version(url)))


def _schema_advice(restored: str | None) -> str:
    """Whether the restored database needs `flask db upgrade`. We say rather than run it: the restore is done and
    checkable on its own, and an upgrade is a separate step that needs this version's code in place."""
    heads = _migration_heads()
    if restored is None or heads is None:
        return ("If this backup was made by an older version of the site, run `flask db upgrade` now to bring "
                "its tables up to date.")
    if restored in heads:
        return "Its tables match this version of the site: no `flask db upgrade` needed."
    return (f"This backup's tables are at migration {restored}, this version of the site expects "
            f"{', '.join(sorted(heads))}: run `flask db upgrade` now (a backup made by a NEWER version cannot be "
            "used with this one: deploy that version first).")


def _migration_heads() -> set[str] | None:
    from alembic.script import ScriptDirectory

    directory = Path(current_app.extensions["migrate"].directory)
    if not directory.is_absolute():
        directory = Path(current_app.root_path).parent / directory
    try:
        return set(ScriptDirectory(str(directory)).get_heads())
    except Exception:  # noqa: BLE001 - no migrations folder here: fall back to the general advice
        return None
