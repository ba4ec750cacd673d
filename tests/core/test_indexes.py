"""The pages' lists and look-ups have their indexes, and PostgreSQL reads the forum's busiest pages through them.

Speed itself is measured by hand (bench/explain.py on the large data set, figures in bench/README.md); this keeps
the indexes from being lost quietly: the schema has them on both databases (and tests/core/test_migrations.py
checks the migrations build the same schema), and on PostgreSQL, with a small data set from bench/dataset.py
and fresh statistics, the plan of the thread page's and the thread list's queries names the index."""

import json

import pytest
from sqlalchemy import event, inspect, text

from bench.dataset import seed_large
from community.accounts.services import find_user_by_email
from community.forums.models import Category

# table -> {index name: its leading columns}, for the lists and look-ups the pages make.
PAGE_INDEXES = {
    "thread": {"ix_thread_category_listing": ["category_id", "pinned", "last_post_at"]},
    "post": {"uq_post_thread_id": ["thread_id", "number"], "ix_post_author_id": ["author_id"]},
    "story": {"ix_story_public_listing": ["audience", "published_at"],
              "ix_story_members_listing": ["updated_at", "id"]},
    "user": {"ix_user_newest": ["created_at", "id"]},
    "user_session": {"uq_user_session_token_hash": ["token_hash"]},
    "membership": {"uq_membership_user_id": ["user_id"]},
    "notification": {"ix_notification_user_unread": ["user_id", "read_at", "created_at"],
                     "ix_notification_user_listing": ["user_id", "created_at", "id"]},
    "audit_entry": {"ix_audit_entry_action": ["action", "id"], "ix_audit_entry_target": ["target_type", "target_id"],
                    "ix_audit_entry_subject_id": ["subject_id"]},
    "moderation_item": {"ix_moderation_item_target": ["kind", "target_id"],
                        # safety DESC is an expression: only the name is checked for this one.
                        "ix_moderation_item_open_queue": None},
    "cafe_message": {"ix_cafe_message_session_changed": ["session_id", "changed_at"]},
    "diary_entry": {"ix_diary_entry_owner_day": ["owner_id", "day"]},
}


def _indexes(connection, table: str) -> dict:
    found = {index["name"]: index["column_names"] for index in inspect(connection).get_indexes(table)}
    for constraint in inspect(connection).get_unique_constraints(table):
        found[constraint["name"]] = constraint["column_names"]
    return found


def test_every_list_and_look_up_the_pages_make_has_its_index(db):
    with db.engine.connect() as connection:
        for table, wanted in PAGE_INDEXES.items():
            found = _indexes(connection, table)
            for name, columns in wanted.items():
                assert name in found, f"{table} has no index {name}"
                if columns is not None:
                    assert found[name][:len(columns)] == columns, (table, name, found[name])


# PostgreSQL's plans ---------------------------------------------------------------------------------------------

def _statements_of(client, db, url: str) -> list[tuple[str, object]]:
    """The SQL statements (with their parameters) the page at `url` runs."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return statements


def _plan(db, statement: str, parameters) -> dict:
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0]
    finally:
        connection.close()
    return (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]


def _scans(plan: dict) -> list[tuple[str, str, str | None]]:
    """(node type, table, index) of every node of the plan that reads a table."""
    found = [(plan["Node Type"], plan["Relation Name"], plan.get("Index Name"))] if "Relation Name" in plan else []
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


def _page_query(statements, table: str) -> tuple[str, object]:
    """The page's statement that picks a page of `table`'s rows (the one with an OFFSET)."""
    return next((statement, parameters) for statement, parameters in statements
                if f"FROM {table} " in statement and "OFFSET" in statement)


# Plans are PostgreSQL's (SQLite reads these tables through the same indexes by rule): these run on PostgreSQL only.
@pytest.mark.parametrize("database_backend", ["postgresql"])
def test_postgresql_reads_a_thread_page_and_a_thread_list_through_their_indexes(app, client, login, db):
    # Enough threads (about a hundred a category) that reading a whole category would cost more than its index;
    # seed_large ends with ANALYZE, so the planner knows the sizes.
    found = seed_large(members=40, posts=10_000, stories=40)
    assert login(find_user_by_email(found["email"]), found["password"]).status_code == 302
    busiest = db.session.query(Category).order_by(Category.thread_count.desc()).first()

    statements = _statements_of(client, db, f"/forums/t/{found['long_thread_id']}?page=2")
    scans = _scans(_plan(db, *_page_query(statements, "post")))
    assert ("Index Scan", "post", "uq_post_thread_id") in scans, scans
    assert not [scan for scan in scans if scan[0] == "Seq Scan" and scan[1] == "post"], scans

    # The page of thread ids is picked in the index's order (joining those thirty back to their rows may read
    # the small thread table whole: the planner's choice at this size).
    statements = _statements_of(client, db, f"/forums/{busiest.slug}")
    scans = _scans(_plan(db, *_page_query(statements, "thread")))
    assert [scan for scan in scans if scan[1] == "thread" and scan[2] == "ix_thread_category_listing"], scans


@pytest.mark.parametrize("database_backend", ["postgresql"])
def test_postgresql_keeps_only_open_items_in_the_queue_index(db):
    with db.engine.connect() as connection:
        definition = connection.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_moderation_item_open_queue'")).scalar()
    assert "(safety DESC, opened_at, id) WHERE ((status)::text = 'open'::text)" in definition
