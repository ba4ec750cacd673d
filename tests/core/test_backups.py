"""`flask backup` and `flask restore` (community/backups), on SQLite and PostgreSQL: a backup of real content
(a member, a forum thread, a story, a diary entry, a letter), then a wiped database, then a restore brings back
every row of every table exactly, and the forum search index with it; backups are owner-only files, never left
half-written; a restore needs confirming and refuses a file of the wrong kind."""

import stat
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from community.accounts.models import User
from community.backups import services
from community.extensions import db
from community.forums import search
from community.lounge import diary, letters
from community.stories import services as stories
from tests.factories import make_member
from tests.forums.forum_data import agreed_member, make_category, make_thread
from tests.lounge.test_letters import FULL

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _url() -> str:
    return db.engine.url.render_as_string(hide_password=False)


def _suffix() -> str:
    return services.SUFFIXES[db.engine.dialect.name]


def _close_connections() -> None:
    """As `flask restore` does: nothing of ours may hold a lock (or a cached schema) while the database is replaced."""
    db.session.remove()
    db.engine.dispose()


def _make_content():
    """One of each kind of thing a member writes, made through the services."""
    member = agreed_member(display_name="Sam")
    post = make_thread(member, make_category(), "Blood patch tomorrow", "Any tips for the blood patch?", replies=1)
    story = stories.save_story(member, title="My leak", body="It started after a lumbar puncture.",
                               procedure="lumbar_puncture", year=2024, what_helped="Lying flat.")
    entry = diary.save_entry(member, None, day=date.today().isoformat(), headache_upright="8", headache_lying="2",
                             upright_minutes="30", symptoms=[], notes="Bad day; neck pain.")
    letter = letters.save_letter(member, None, "specialist-referral", FULL)
    return member, post, story, entry, letter


def _snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (all columns, in primary-key order), plus alembic_version when there is one."""
    _close_connections()
    rows = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(row) for row in connection.execute(select(table).order_by(*order))]
        if inspect(connection).has_table("alembic_version"):
            rows["alembic_version"] = [tuple(row) for row in
                                       connection.execute(text("SELECT version_num FROM alembic_version"))]
    return rows


def _search_index_objects() -> set[str]:
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            return set(connection.scalars(text(
                "SELECT name FROM sqlite_master WHERE name LIKE 'post_fts%' AND type IN ('table', 'trigger')")))
        columns = {column["name"] for column in inspect(connection).get_columns("post")}
        indexes = {index["name"] for index in inspect(connection).get_indexes("post")}
        return ({search.TSVECTOR_COLUMN} & columns) | ({search.TSVECTOR_INDEX} & indexes)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _heads() -> set[str]:
    return set(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _stamp(version: str) -> None:
    """An alembic_version table, as `flask db upgrade` leaves (the test schema is made by create_all)."""
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})


@pytest.fixture
def drop_alembic_version(app):
    yield
    _close_connections()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


# Back up, wipe, restore ------------------------------------------------------------------------------------------

def test_backup_then_wipe_then_restore_brings_back_every_row_of_every_table(app, tmp_path, drop_alembic_version):
    _make_content()
    _stamp(sorted(_heads())[0])
    before = _snapshot()
    for name in ("user", "thread", "post", "story", "diary_entry", "letter", "membership", "alembic_version"):
        assert before[name], f"the test made no {name} row"
    index_before = _search_index_objects()
    assert index_before, "the forum search index exists before the backup"

    backup = services.back_up(_url(), tmp_path / f"nightly{_suffix()}")
    assert backup == tmp_path / f"nightly{_suffix()}" and services.kind_of_file(backup) == db.engine.dialect.name

    _close_connections()
    db.drop_all()  # every table, and the search index with them
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    _close_connections()
    assert not inspect(db.engine).get_table_names()

    services.restore(_url(), backup)

    assert _snapshot() == before
    assert _search_index_objects() == index_before
    # The site works on the restored database: the search index answers, and new posts are indexed.
    member = db.session.scalar(select(User).where(User.display_name == "Sam"))
    assert search.search_posts(member, "blood patch").total == 1
    make_thread(member, make_category("Treatments"), "Second patch", "A second blood patch helped.")
    assert search.search_posts(member, "blood patch").total == 2


def test_a_restore_replaces_what_was_written_after_the_backup(app, tmp_path):
    member, *_ = _make_content()
    before = _snapshot()
    backup = services.back_up(_url(), tmp_path / f"before{_suffix()}")
    make_member(email="later@example.org")
    diary.save_entry(db.session.merge(member), None, day=date.today().isoformat(), headache_upright="3",
                     headache_lying="1", notes="Written after the backup.")
    assert _snapshot() != before

    _close_connections()
    services.restore(_url(), backup)

    assert _snapshot() == before


# Files -----------------------------------------------------------------------------------------------------------

def test_a_backup_is_readable_by_its_owner_only_and_never_written_over(app, tmp_path):
    make_member()
    backup = services.back_up(_url(), tmp_path / "new-folder" / f"one{_suffix()}")
    assert _mode(backup) == 0o600
    assert _mode(backup.parent) == 0o700
    assert [path.name for path in backup.parent.iterdir()] == [backup.name]
    original = backup.read_bytes()
    with pytest.raises(services.BackupError, match="already exists"):
        services.back_up(_url(), backup)
    assert backup.read_bytes() == original


def test_a_failed_backup_leaves_no_file_and_says_why(app, tmp_path, database_backend):
    if database_backend == "postgresql":
        missing = make_url(_url()).set(database="no_such_database_here").render_as_string(hide_password=False)
        reason = 'database "no_such_database_here" does not exist'
    else:
        missing = f"sqlite:///{tmp_path / 'no-such.db'}"
        reason = "There is no SQLite database"
    destination = tmp_path / "backups" / f"failed{_suffix()}"
    with pytest.raises(services.BackupError, match=reason):
        services.back_up(missing, destination)
    assert list(destination.parent.iterdir()) == []


def test_the_default_name_is_in_instance_backups_with_the_utc_time(app):
    url = _url()
    path = services.default_destination(Path("instance/backups"), url, datetime(2026, 11, 27, 2, 45, 24))
    assert path == Path(f"instance/backups/community-20261127T024524Z{_suffix()}")


def test_the_password_goes_in_the_environment_never_on_the_command_line(monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    libpq, env = services.libpq_url_and_env("postgresql+psycopg://carer:s3cr%40t@db.example.org:5433/community"
                                            "?sslmode=require")
    assert libpq == "postgresql://carer@db.example.org:5433/community?sslmode=require"
    assert env["PGPASSWORD"] == "s3cr@t" and "s3cr" not in libpq
    libpq, env = services.libpq_url_and_env("postgresql+psycopg:///community?host=/var/run/postgresql")
    assert libpq == "postgresql:///community?host=%2Fvar%2Frun%2Fpostgresql" and "PGPASSWORD" not in env


# The commands ------------------------------------------------------------------------------------------------------

def test_flask_backup_writes_the_file_and_says_where_and_how_big(app, runner, tmp_path):
    make_member()
    destination = tmp_path / f"cli{_suffix()}"
    result = runner.invoke(args=["backup", "--to", str(destination)])
    assert result.exit_code == 0, result.output
    assert str(destination) in result.output and ("KB" in result.output or "MB" in result.output)
    assert "health data" in result.output
    assert _mode(destination) == 0o600 and services.kind_of_file(destination) == db.engine.dialect.name


def test_flask_backup_without_to_writes_in_instance_backups(app, runner, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    [written] = (tmp_path / "instance" / "backups").iterdir()
    assert written.name.startswith("community-") and written.suffix == _suffix() and _mode(written) == 0o600
    assert _mode(written.parent) == 0o700

    result = runner.invoke(args=["backup", "--to", f"{tmp_path / 'nightly'}/"])
    assert result.exit_code == 0, result.output
    [written] = (tmp_path / "nightly").iterdir()
    assert written.name.startswith("community-") and written.suffix == _suffix()


def test_flask_restore_refuses_without_yes_or_the_typed_confirmation(app, runner, tmp_path):
    make_member(email="kept@example.org")
    backup = tmp_path / f"b{_suffix()}"
    assert runner.invoke(args=["backup", "--to", str(backup)]).exit_code == 0
    make_member(email="after@example.org")
    before = _snapshot()

    for typed in ("", "yes\n", "no\n"):
        result = runner.invoke(args=["restore", str(backup)], input=typed)
        assert result.exit_code == 1, result.output
        assert "REPLACES everything" in result.output and "Nothing was restored" in result.output
        assert _snapshot() == before

    result = runner.invoke(args=["restore", str(backup)], input="restore\n")
    assert result.exit_code == 0, result.output
    assert "Restored the" in result.output and str(backup) in result.output
    emails = set(db.session.scalars(select(User.email)))
    assert "kept@example.org" in emails and "after@example.org" not in emails


def test_flask_restore_with_yes_restores_and_says_whether_to_upgrade(app, runner, tmp_path, drop_alembic_version):
    make_member()
    older = next(revision.revision for revision in ScriptDirectory(str(MIGRATIONS)).walk_revisions()
                 if revision.revision not in _heads())
    _stamp(older)
    backup = tmp_path / f"old{_suffix()}"
    assert runner.invoke(args=["backup", "--to", str(backup)]).exit_code == 0
    before = _snapshot()

    result = runner.invoke(args=["restore", "--yes", str(backup)])
    assert result.exit_code == 0, result.output
    assert "run `flask db upgrade` now" in result.output and older in result.output
    assert _snapshot() == before

    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": sorted(_heads())[0]})
    current = tmp_path / f"current{_suffix()}"
    assert runner.invoke(args=["backup", "--to", str(current)]).exit_code == 0
    result = runner.invoke(args=["restore", "--yes", str(current)])
    assert result.exit_code == 0, result.output
    assert "no `flask db upgrade` needed" in result.output


def test_flask_restore_refuses_a_file_of_the_wrong_kind(app, runner, tmp_path, database_backend):
    make_member(email="still-here@example.org")
    before = _snapshot()
    wrong = tmp_path / "wrong-kind"
    if database_backend == "sqlite":
        wrong.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
        expected = "is a PostgreSQL dump"
    else:
        wrong.write_bytes(services.SQLITE_MAGIC + b"\x00" * 100)
        expected = "is a SQLite database file"
    result = runner.invoke(args=["restore", "--yes", str(wrong)])
    assert result.exit_code == 1 and expected in result.output and "Nothing was changed" in result.output

    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    result = runner.invoke(args=["restore", "--yes", str(junk)])
    assert result.exit_code == 1 and "is not a backup made by `flask backup`" in result.output

    result = runner.invoke(args=["restore", "--yes", str(tmp_path / "missing.db")])
    assert result.exit_code == 1 and "There is no backup file" in result.output
    assert _snapshot() == before
