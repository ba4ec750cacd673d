"""Forum search: FTS5 table and triggers on SQLite, a generated tsvector column with a GIN index on PostgreSQL

Revision ID: 872946aca577
Revises: 1aee03dff9b0
Create Date: 2026-11-26 18:15:25.416288

The statements are written out here (not imported from community.forums.search) so this revision keeps doing
what it did when the code moves on. None of these objects is in the models: migrations/env.py leaves them out
of autogenerate (community.forums.search.include_name).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '872946aca577'
down_revision = '1aee03dff9b0'
branch_labels = None
depends_on = None


SQLITE_UPGRADE = (
    "CREATE VIRTUAL TABLE post_fts USING fts5(body, content='post', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    """CREATE TRIGGER post_fts_after_insert AFTER INSERT ON post BEGIN
  INSERT INTO post_fts(rowid, body) VALUES (new.id, new.body);
END""",
    """CREATE TRIGGER post_fts_after_delete AFTER DELETE ON post BEGIN
  INSERT INTO post_fts(post_fts, rowid, body) VALUES ('delete', old.id, old.body);
END""",
    """CREATE TRIGGER post_fts_after_update AFTER UPDATE OF body ON post BEGIN
  INSERT INTO post_fts(post_fts, rowid, body) VALUES ('delete', old.id, old.body);
  INSERT INTO post_fts(rowid, body) VALUES (new.id, new.body);
END""",
    # Index the posts already written.
    "INSERT INTO post_fts(post_fts) VALUES ('rebuild')",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS post_fts_after_update",
    "DROP TRIGGER IF EXISTS post_fts_after_delete",
    "DROP TRIGGER IF EXISTS post_fts_after_insert",
    "DROP TABLE IF EXISTS post_fts",
)
POSTGRESQL_UPGRADE = (
    "ALTER TABLE post ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', body)) STORED",
    "CREATE INDEX ix_post_search_vector ON post USING gin (search_vector)",
)
POSTGRESQL_DOWNGRADE = (
    "DROP INDEX IF EXISTS ix_post_search_vector",
    "ALTER TABLE post DROP COLUMN IF EXISTS search_vector",
)


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UPGRADE)
    elif dialect == "postgresql":
        _run(POSTGRESQL_UPGRADE)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWNGRADE)
    elif dialect == "postgresql":
        _run(POSTGRESQL_DOWNGRADE)
