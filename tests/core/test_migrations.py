"""`flask db upgrade` builds the whole schema on an empty database, and it matches the models exactly."""

import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from community.extensions import db
from community.forums.search import include_name
from tests.conftest import TEST_DATABASE_URL, make_test_app, service_missing

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


@pytest.fixture
def empty_database_url(database_backend, tmp_path):
    if database_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not TEST_DATABASE_URL:
        service_missing("TEST_DATABASE_URL is not set")
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    name = f"community_migrate_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_flask_db_upgrade_builds_the_schema_the_models_describe(empty_database_url, tmp_path):
    app = make_test_app(empty_database_url, tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade", "--directory", MIGRATIONS])
    assert result.exit_code == 0, result.output
    with app.app_context(), db.engine.connect() as connection:
        # The forum search index lives outside the models, as in `flask db check` (migrations/env.py).
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        differences = compare_metadata(context, db.metadata)
        tables = set(db.inspect(connection).get_table_names())
    assert differences == []
    assert {"user", "membership", "membership_change", "page", "page_revision", "audit_entry"} <= tables
    with app.app_context():
        db.engine.dispose()


def test_every_foreign_key_has_an_index_so_deleting_what_it_points_at_reads_no_whole_table(empty_database_url,
                                                                                           tmp_path):
    """Erasing a member deletes their row, and the database then finds every row pointing at it: without an index,
    by reading the whole table (all the forum's posts, for the moderator who hid a few). Read from the schema the
    migrations build, so a new foreign key without an index fails here."""
    app = make_test_app(empty_database_url, tmp_path)
    assert app.test_cli_runner().invoke(args=["db", "upgrade", "--directory", MIGRATIONS]).exit_code == 0
    with app.app_context(), db.engine.connect() as connection:
        inspector = db.inspect(connection)
        unindexed = []
        for table in inspector.get_table_names():
            leading = {index["column_names"][0] for index in inspector.get_indexes(table)}
            leading |= {columns[0] for columns in [inspector.get_pk_constraint(table)["constrained_columns"],
                                                   *(unique["column_names"]
                                                     for unique in inspector.get_unique_constraints(table))]
                        if columns}
            unindexed += [f"{table}.{key['constrained_columns'][0]}" for key in inspector.get_foreign_keys(table)
                          if key["constrained_columns"][0] not in leading]
    with app.app_context():
        db.engine.dispose()
    assert unindexed == []
