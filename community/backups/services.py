"""Back up the database to one file and restore it from one, on SQLite and PostgreSQL.

These functions take the app's SQLAlchemy URL and plain paths, so they work with or without an app. A backup is
written under a temporary name beside its destination (owner-only, mode 0600) and renamed only once complete, so a
failed backup leaves no half-written file that could later be mistaken for a good one.
"""

import os
import shutil
import sqlite3
import subprocess  # only to run pg_dump and pg_restore, with argument lists and never a shell  # nosec B404
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
SUFFIXES = {"sqlite": ".db", "postgresql": ".dump"}
KIND_NAMES = {"sqlite": "a SQLite database file", "postgresql": "a PostgreSQL dump (pg_dump's custom format)"}
# Where PostgreSQL's client programs are looked for first (Debian's postgresql-client puts the newest here).
PG_BIN_DIRS = ("/usr/bin",)
# pg_dump and pg_restore wait this long for a lock held by someone else, then fail (rather than hang for ever).
LOCK_TIMEOUT = "60s"


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why, for the admin at the terminal."""


def backend_of(database_url: str | URL) -> str:
    """"sqlite" or "postgresql"; anything else is refused."""
    backend = make_url(database_url).get_backend_name()
    if backend not in SUFFIXES:
        raise BackupError(f"Backups work on SQLite and PostgreSQL, not {backend}.")
    return backend


def describe(database_url: str | URL) -> str:
    """The database for a person to recognise: its file, or user@host/name (never the password)."""
    url = make_url(database_url)
    if backend_of(url) == "sqlite":
        return f"the SQLite database {_sqlite_path(url)}"
    return f"the PostgreSQL database {url.database!r} on {url.host or 'the local server'}"


def default_destination(backups_dir: str | Path, database_url: str | URL, now: datetime | None = None) -> Path:
    """instance/backups/community-<UTC timestamp>.<db|dump>."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path(backups_dir) / f"community-{stamp}{SUFFIXES[backend_of(database_url)]}"


def kind_of_file(path: str | Path) -> str | None:
    """"sqlite" for a SQLite database file, "postgresql" for a pg_dump custom-format file, else None."""
    with open(path, "rb") as file:
        start = file.read(len(SQLITE_MAGIC))
    if start.startswith(SQLITE_MAGIC):
        return "sqlite"
    if start.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return None


# Backing up -------------------------------------------------------------------------------------------------------

def back_up(database_url: str | URL, destination: str | Path) -> Path:
    """Copy the whole database into `destination` (a new file, mode 0600; its folder is made owner-only if new).
    Refuses to write over an existing file. Returns the path written."""
    backend = backend_of(database_url)
    destination = Path(destination)
    if destination.exists():
        raise BackupError(f"{destination} already exists: choose a new name (a backup is never written over).")
    destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    _create_private(partial)
    try:
        if backend == "sqlite":
            _sqlite_copy(_sqlite_path(make_url(database_url)), partial)
        else:
            _run_pg("pg_dump", database_url, "--format=custom", "--no-owner", "--no-privileges",
                    f"--lock-wait-timeout={LOCK_TIMEOUT}", f"--file={partial}")
        os.chmod(partial, 0o600)
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return destination


def _create_private(path: Path) -> None:
    """An empty file only its owner can read, created so in one step (never readable by others, even briefly)."""
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} exists: another backup may be running. If not, delete it and try again.") from None
    os.close(descriptor)


# Restoring --------------------------------------------------------------------------------------------------------

def check_restorable(database_url: str | URL, source: str | Path) -> None:
    """Refuse a file that is missing or not a backup of this kind of database, before anything is changed."""
    backend = backend_of(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}.")
    kind = kind_of_file(source)
    if kind is None:
        raise BackupError(f"{source} is not a backup made by `flask backup`: it is neither {KIND_NAMES['sqlite']} "
                          f"nor {KIND_NAMES['postgresql']}. Nothing was changed.")
    if kind != backend:
        raise BackupError(f"{source} is {KIND_NAMES[kind]}, but this site's database is "
                          f"{'SQLite' if backend == 'sqlite' else 'PostgreSQL'}: it needs {KIND_NAMES[backend]}. "
                          "Nothing was changed.")


def restore(database_url: str | URL, source: str | Path) -> None:
    """Replace everything in the database with the backup in `source`. Close the app's own connections first
    (`db.engine.dispose()`): on PostgreSQL an open transaction would block pg_restore until LOCK_TIMEOUT."""
    check_restorable(database_url, source)
    source = Path(source)
    if backend_of(database_url) == "sqlite":
        target = _sqlite_path(make_url(database_url))
        if target.exists() and target.resolve() == source.resolve():
            raise BackupError(f"{source} is the database itself, not a backup of it. Nothing was changed.")
        _sqlite_restore(source, target)
    else:
        # One transaction: if anything fails, the database is left exactly as it was.
        try:
            _run_pg("pg_restore", database_url, "--clean", "--if-exists", "--no-owner", "--no-privileges",
                    "--single-transaction", "--exit-on-error", str(source),
                    extra_env={"PGOPTIONS": f"{os.environ.get('PGOPTIONS', '')} -c lock_timeout={LOCK_TIMEOUT}"})
        except BackupError as error:
            raise BackupError(f"{error}\nNothing was changed: the restore runs as one transaction.") from None


def schema_version(database_url: str | URL) -> str | None:
    """The Alembic revision the database is at (None when it has no alembic_version table, e.g. built by
    create_all)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


# SQLite -----------------------------------------------------------------------------------------------------------

def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("Only a SQLite database in a file can be backed up or restored here.")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """The online backup API: a consistent copy of every page (tables, FTS5 index, triggers), even while the site
    writes (SQLite restarts the copy if a write lands during it)."""
    if not source.is_file():
        raise BackupError(f"There is no SQLite database at {source}.")
    try:
        with _closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as origin, \
                _closing(sqlite3.connect(target)) as copy:
            origin.backup(copy)
    except sqlite3.Error as error:
        raise BackupError(f"Could not copy the SQLite database {source}: {error}") from None


def _sqlite_restore(source: Path, target: Path) -> None:
    """The same API the other way: the live database's pages become the backup's, in one step for other
    connections (they wait on its lock, then see the restored database)."""
    with _closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as backup:
        try:
            backup.execute("PRAGMA schema_version").fetchone()  # reads the header: fails on a damaged file
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not a readable SQLite database ({error}). Nothing was changed.") from None
        try:
            with _closing(sqlite3.connect(target, timeout=60)) as live:
                backup.backup(live)
        except sqlite3.Error as error:
            raise BackupError(f"Could not restore {source} into {target}: {error}. Nothing was changed.") from None


class _closing:
    """sqlite3's own context manager commits but never closes; this closes."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc) -> None:
        self.connection.close()


# PostgreSQL -------------------------------------------------------------------------------------------------------

def libpq_url_and_env(database_url: str | URL) -> tuple[str, dict[str, str]]:
    """The app's URL (postgresql+psycopg://user:pw@host:port/db?sslmode=...) as a libpq URL without the password,
    and the environment for pg_dump/pg_restore with the password in PGPASSWORD: command lines are visible to every
    user of the server (ps), the environment is not."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    # Built afresh: URL.set(password=None) leaves the password in place.
    libpq = URL.create("postgresql", username=url.username, host=url.host, port=url.port, database=url.database,
                       query=url.query).render_as_string(hide_password=False)
    if make_url(libpq).password is not None:
        raise BackupError("Could not take the password out of the database URL; nothing was run.")
    return libpq, env


def _pg_program(name: str) -> str:
    for folder in PG_BIN_DIRS:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: install PostgreSQL's client programs (postgresql-client), "
                          "the same major version as the server or newer.")
    return found


def _run_pg(program: str, database_url: str | URL, *arguments: str, extra_env: dict | None = None) -> None:
    libpq, env = libpq_url_and_env(database_url)
    env.update(extra_env or {})
    command = [_pg_program(program), f"--dbname={libpq}", *arguments]
    # A list, no shell: the URL and paths are single arguments, whatever characters they hold.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        said = result.stderr.strip() or result.stdout.strip() or "(it printed nothing)"
        raise BackupError(f"{program} failed (exit code {result.returncode}):\n{said}")
