"""Forum search: one service over SQLite FTS5 and PostgreSQL full-text search, showing only what the reader may see.

The index lives beside the `post` table, outside the models (SQLAlchemy knows neither an FTS5 table nor a
generated tsvector column it never reads):
- SQLite: `post_fts`, an FTS5 table in external-content mode over post.body (Porter stemming, accents folded),
  kept in step by three triggers on `post`.
- PostgreSQL: `post.search_vector`, a tsvector GENERATED ALWAYS from body, with the GIN index `ix_post_search_vector`.
The migration creates them for `flask db upgrade`; `install` creates them after `db.create_all()` makes the post
table (an `after_create` event, so tests and benches get them too). `include_name` keeps them out of Alembic's
autogenerate and `flask db check` (migrations/env.py), since the models do not describe them.

Warning for later migrations: on SQLite, `batch_alter_table("post")` rebuilds the table and drops its triggers;
such a migration must create them again (the statements are in SQLITE_TRIGGERS).
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import Connection, and_, column, event, func, inspect, literal_column, or_, select, table, text
from sqlalchemy.orm import aliased
from sqlalchemy.sql.util import ClauseAdapter

from community.accounts.models import User
from community.extensions import db
from community.permissions import has_member_access, is_moderator

from .models import Category, Post, Thread
from .services import POSTS_PER_PAGE, visible_posts

PER_PAGE = 20
# Someone paging far back gets nothing more than this: deep offsets are slow and nobody reads 2,000 results.
MAX_PAGE = 100
MAX_QUERY_LENGTH = 200
# What the reader sees of a post around the matching words.
SNIPPET_TOKENS = 32

# The database marks the matching words with these two characters; the snippet is then escaped and only our own
# <mark> tags are put where they were (see safe_snippet). Control characters, so no ordinary text contains them.
_START, _STOP = "\x02", "\x03"

FTS_TABLE = "post_fts"
TSVECTOR_COLUMN = "search_vector"
TSVECTOR_INDEX = "ix_post_search_vector"

# The same statements as the migration 872946aca577 (which keeps its own copy, as migrations do).
SQLITE_TABLE = ("CREATE VIRTUAL TABLE IF NOT EXISTS post_fts USING fts5(body, content='post', content_rowid='id', "
                "tokenize='porter unicode61 remove_diacritics 2')")
SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS post_fts_after_insert AFTER INSERT ON post BEGIN
  INSERT INTO post_fts(rowid, body) VALUES (new.id, new.body);
END""",
    """CREATE TRIGGER IF NOT EXISTS post_fts_after_delete AFTER DELETE ON post BEGIN
  INSERT INTO post_fts(post_fts, rowid, body) VALUES ('delete', old.id, old.body);
END""",
    """CREATE TRIGGER IF NOT EXISTS post_fts_after_update AFTER UPDATE OF body ON post BEGIN
  INSERT INTO post_fts(post_fts, rowid, body) VALUES ('delete', old.id, old.body);
  INSERT INTO post_fts(rowid, body) VALUES (new.id, new.body);
END""",
)
SQLITE_REBUILD = "INSERT INTO post_fts(post_fts) VALUES ('rebuild')"
SQLITE_DROP = "DROP TABLE IF EXISTS post_fts"
POSTGRESQL_STATEMENTS = (
    "ALTER TABLE post ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', body)) STORED",
    "CREATE INDEX IF NOT EXISTS ix_post_search_vector ON post USING gin (search_vector)",
)


# The index's objects -------------------------------------------------------------------------------------------

def install(connection: Connection) -> None:
    """Create the search index beside an existing post table, and index the posts already there."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql(SQLITE_TABLE)
        for statement in SQLITE_TRIGGERS:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql(SQLITE_REBUILD)
    elif dialect == "postgresql":
        for statement in POSTGRESQL_STATEMENTS:
            connection.exec_driver_sql(statement)


def uninstall(connection: Connection) -> None:
    """Drop what `install` made that would outlive the post table (the FTS5 table is a table of its own)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(SQLITE_DROP)


@event.listens_for(Post.__table__, "after_create")
def _install_after_create(target, connection, **kw) -> None:
    install(connection)


@event.listens_for(Post.__table__, "before_drop")
def _uninstall_before_drop(target, connection, **kw) -> None:
    uninstall(connection)


def is_search_index(name: str | None, type_: str, parent_names: dict) -> bool:
    """True for the database objects of the search index (the FTS5 table and its shadow tables, the tsvector
    column and its index)."""
    if not name:
        return False
    if type_ == "table":
        return name == FTS_TABLE or name.startswith(FTS_TABLE + "_")
    if parent_names.get("table_name") == "post":
        return (type_, name) in {("column", TSVECTOR_COLUMN), ("index", TSVECTOR_INDEX)}
    return False


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's `include_name` hook: leave the search index out of autogenerate and `flask db check`."""
    return not is_search_index(name, type_, parent_names)


# Searching -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchResult:
    post_id: int
    post_number: int
    # The page of its thread the post is on, for this reader.
    thread_page: int
    thread_id: int
    thread_title: str
    category_name: str
    category_slug: str
    author_name: str
    created_at: datetime
    state: str
    snippet: Markup


@dataclass(frozen=True)
class SearchPage:
    """One page of results, and how many there are in all."""

    query: str
    results: list[SearchResult]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return min(math.ceil(self.total / self.per_page), MAX_PAGE)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def clean_query(query: str | None) -> str:
    """What a person typed, made fit to search with: no control characters (PostgreSQL refuses NUL), spaces
    collapsed, at most MAX_QUERY_LENGTH characters."""
    printable = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in (query or ""))
    return " ".join(printable.split())[:MAX_QUERY_LENGTH].strip()


def search_posts(reader, query: str, page: int = 1) -> SearchPage:
    """The posts `reader` may see that match `query`, best first, PER_PAGE a page: two queries, however many
    posts match. Any text works: it is never read as the database's own query syntax."""
    query = clean_query(query)
    page = min(max(page or 1, 1), MAX_PAGE)
    if not query or not has_member_access(reader):
        return SearchPage(query, [], 0, page)
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:
        match, rank, snippet = _postgresql(query)
        fts = None
    else:
        fts_query = fts5_query(query)
        if not fts_query:
            return SearchPage(query, [], 0, page)
        match, rank, snippet = _sqlite(fts_query)
        fts = table(FTS_TABLE, column("rowid"))

    def matching(*columns):
        statement = select(*columns).select_from(Post)
        if fts is not None:
            statement = statement.join(fts, fts.c.rowid == Post.id)
        # What the reader may see is part of the query itself, so no page comes up short and the count is right.
        return statement.join(Post.thread).join(Thread.category).where(match, _visible_to(reader))

    total = db.session.scalar(matching(func.count())) or 0
    # First the ids of one page of posts, ranked; then only those twenty get a snippet (the costly part) and
    # their place in the thread. Both in one statement.
    hits = (matching(Post.id.label("id"), rank.label("rank"), Post.created_at.label("created_at"))
            .order_by(rank.desc() if postgresql else rank, Post.created_at.desc(), Post.id.desc())
            .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).subquery("hits")
    # Plain columns, not ORM objects: everything a result shows comes in this one statement, so nothing can be
    # loaded lazily afterwards (and no post body leaves the database, only its snippet).
    statement = (select(Post.id, Post.number, Post.state, Post.created_at, Thread.id, Thread.title, Category.name,
                        Category.slug, User.display_name, snippet, _posts_before(reader))
                 .select_from(Post).join(hits, hits.c.id == Post.id))
    if fts is not None:
        # snippet() needs the full-text query it reports on.
        statement = statement.join(fts, fts.c.rowid == Post.id).where(match)
    rows = db.session.execute(
        statement.join(Post.thread).join(Thread.category).outerjoin(User, User.id == Post.author_id)
        .order_by(hits.c.rank.desc() if postgresql else hits.c.rank, hits.c.created_at.desc(), hits.c.id.desc())
    ).all()
    results = [
        SearchResult(post_id=post_id, post_number=number, thread_page=before // POSTS_PER_PAGE + 1,
                     thread_id=thread_id, thread_title=title, category_name=category_name,
                     category_slug=category_slug, author_name=author_name or "A former member",
                     created_at=created_at, state=state, snippet=safe_snippet(raw_snippet))
        for (post_id, number, state, created_at, thread_id, title, category_name, category_slug, author_name,
             raw_snippet, before) in rows]
    return SearchPage(query, results, total, page)


def _posts_before(reader):
    """How many posts come before this one on its thread's pages as the reader sees them (so the link opens
    the right page): the thread page's own rule, applied to an alias of the post table."""
    earlier = aliased(Post, name="earlier")
    shown = ClauseAdapter(inspect(earlier).selectable).traverse(visible_posts(reader))
    return (select(func.count()).select_from(earlier)
            .where(earlier.thread_id == Post.thread_id, earlier.number < Post.number, shown)
            .correlate(Post).scalar_subquery())


def _visible_to(reader):
    """Moderators see every category and every post but deleted ones; a member sees the categories open to
    members, visible posts, and their own posts still held for review. A deleted post is never found (nor a held
    one its author deleted: it keeps the state "pending" with deleted_at set)."""
    not_deleted = Post.deleted_at.is_(None)
    if is_moderator(reader):
        return and_(not_deleted, Post.state.in_(("visible", "pending", "hidden")))
    return and_(
        not_deleted,
        Category.moderators_only.is_(False),
        or_(Post.state == "visible", and_(Post.state == "pending", Post.author_id == reader.id)),
    )


def _sqlite(fts_query: str):
    match = text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=fts_query)
    rank = func.bm25(literal_column(FTS_TABLE))  # lower is better
    snippet = func.snippet(literal_column(FTS_TABLE), 0, _START, _STOP, "…", SNIPPET_TOKENS)
    return match, rank, snippet


def _postgresql(query: str):
    # websearch_to_tsquery reads any text as a web search box would ("quotes", or, -word) and never fails.
    tsquery = func.websearch_to_tsquery(literal_column("'english'::regconfig"), query)
    vector = literal_column(f"post.{TSVECTOR_COLUMN}")
    match = vector.op("@@")(tsquery)
    rank = func.ts_rank(vector, tsquery)  # higher is better
    options = (f"StartSel={_START}, StopSel={_STOP}, MaxWords=35, MinWords=15, MaxFragments=2, "
               'FragmentDelimiter=" … "')
    snippet = func.ts_headline(literal_column("'english'::regconfig"), Post.body, tsquery, options)
    return match, rank, snippet


_PIECE = re.compile(r'(-?)"([^"]*)"|(\S+)')


def fts5_query(query: str) -> str:
    """A person's words as an FTS5 query in the spirit of PostgreSQL's websearch_to_tsquery: words must all
    appear, "quoted words" as a phrase, `or` between alternatives, -word to leave out. Every word or phrase is
    an FTS5 string (double quotes, inner quotes doubled), so nothing typed is read as FTS5 syntax (AND, NEAR,
    *, ^, column filters). Empty when nothing searchable is left (only punctuation or emoji, say)."""
    groups: list[tuple[list[str], list[str]]] = [([], [])]
    for match in _PIECE.finditer(query):
        leave_out, phrase, word = match.groups()
        if word is not None and word.lower() == "or":
            if groups[-1][0]:
                groups.append(([], []))
            continue
        if word is not None and word.startswith("-") and len(word) > 1:
            leave_out, word = "-", word[1:]
        words = phrase if phrase is not None else word
        if not any(ch.isalnum() for ch in words):
            continue
        fts_string = '"' + words.replace('"', '""') + '"'
        groups[-1][1 if leave_out else 0].append(fts_string)
    parts = []
    for wanted, unwanted in groups:
        if not wanted:
            continue  # "-word" alone would match nearly everything: not a search
        part = "(" + " AND ".join(wanted) + ")"
        if unwanted:
            part = f"({part} NOT ({' OR '.join(unwanted)}))"
        parts.append(part)
    return " OR ".join(parts)


_MARKER = re.compile(f"([{_START}{_STOP}])")
# Control characters other than our two markers (whitespace is collapsed before this).
_OTHER_CONTROLS = re.compile("[\x00-\x01\x04-\x1f\x7f-\x9f]")


def safe_snippet(raw: str | None) -> Markup:
    """The database's snippet as HTML: every character escaped, whitespace collapsed, and <mark>…</mark> only
    where the database marked a match (balanced, whatever the post's own text contains)."""
    out: list[str] = []
    open_mark = False
    for piece in _MARKER.split(_OTHER_CONTROLS.sub("", " ".join((raw or "").split()))):
        if piece == _START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif piece == _STOP:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        elif piece:
            out.append(str(escape(piece)))
    if open_mark:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704 - every piece escaped above; only our own <mark> tags added  # nosec B704
