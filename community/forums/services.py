"""Forum rules: categories, threads, posts, reactions and read state. Every change of state happens here, in one
transaction, and keeps the thread's and category's counters right in that same transaction, so no page ever
counts rows to show them.

Who sees which post (`visible_posts`): moderators see every post. Everyone else who may open the thread sees
visible posts, and a placeholder for a post its author deleted or a moderator hid; a post waiting for a moderator
("pending") only its own author sees. A thread whose first post is still waiting is seen only by its author and
moderators, and a category marked moderators-only only by moderators."""

import logging
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from flask import abort
from sqlalchemy import Select, and_, bindparam, case, delete, exists, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.sql.elements import ColumnElement

from community.accounts.models import User
from community.dates import DEFAULT_ZONE, day, day_and_time, local_time
from community.extensions import commit_or_existing, db, utcnow
from community.forms import form_token_or_none
from community.markdown import render_markdown
from community.moderation.services import ContentBlocked, Review, content_written, record_action, review_new_content
from community.pages.services import accepted_current_guidelines
from community.permissions import STAFF_ROLES, can_write, is_moderator, restriction_of
from community.refusals import Refusal

from .models import REACTIONS, Bookmark, Category, Post, PostRevision, Reaction, Thread, ThreadRead, Watch

log = logging.getLogger(__name__)

TITLE_MAX = 150
POST_MAX = 20_000
CONTENT_NOTE_MAX = 120
CATEGORY_NAME_MAX = 80
CATEGORY_DESCRIPTION_MAX = 300
THREADS_PER_PAGE = 30
POSTS_PER_PAGE = 20
# What moderation calls the content it is asked about (community.moderation.services.review_new_content).
REVIEW_KIND = "forum_post"
# Posts everyone who can open the thread sees, in full or as a placeholder.
PUBLIC_STATES = ("visible", "deleted", "hidden")
# Addresses under /forums/ that a category's slug must not take (the forums' own pages, now or soon).
RESERVED_SLUGS = frozenset({"t", "p", "new", "my", "mine", "my-posts", "bookmarks", "watching", "search", "admin",
                            "unread"})


class ForumError(Refusal):
    """A forum action we refuse, with a kind message (and the form field it is about)."""


class ContactDetailsFound(ForumError):
    """The text seems to hold an email address or phone number: the writer is asked to confirm first."""


# Words ---------------------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A run that starts like a phone number (+ or 0) and carries on with digits, spaces, dots, dashes or brackets.
_PHONE_LIKE = re.compile(r"(?<![\w+])(?:\+|\(?0)[\d\s().-]{8,22}\d")


def contact_details_in(text: str) -> list[str]:
    """What the text seems to include that others could use to reach the writer: "email address", "phone number".
    UK numbers and international ones with +; short ones (999, 111, 116 123) and dates are not counted."""
    found = []
    if _EMAIL.search(text or ""):
        found.append("email address")
    for match in _PHONE_LIKE.finditer(text or ""):
        if 10 <= len(re.sub(r"\D", "", match.group(0))) <= 13:
            found.append("phone number")
            break
    return found


def normalise_text(text: str | None) -> str:
    """Line endings as \\n (browsers send \\r\\n), no NUL characters (PostgreSQL cannot store them in text) and
    no blank lines around the text."""
    return (text or "").replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()


def render_post(body: str):
    """A post's Markdown as safe HTML, rendered once when saved, as members' words (links marked nofollow ugc,
    images never loaded). Its headings start at <h3>: the page has the thread's <h1> and each post's author <h2>,
    and no heading in a post gets an id (so no id appears twice on a page)."""
    return render_markdown(body, lowest_heading=3, user_content=True).html


def _clean_title(title: str | None) -> str:
    title = " ".join(normalise_text(title).split())
    if not title:
        raise ForumError("Enter a title for your thread, like “Tips for the first week after a blood patch”.",
                         "title")
    if len(title) > TITLE_MAX:
        raise ForumError(f"Keep the title to {TITLE_MAX} characters or fewer (it is {len(title)} now).", "title")
    return title


def _clean_body(body: str | None) -> str:
    body = normalise_text(body)
    if not body:
        raise ForumError("Write your post before you send it.", "body")
    if len(body) > POST_MAX:
        raise ForumError(f"Your post is {len(body):,} characters long. A post can hold up to {POST_MAX:,}: please "
                         "shorten it a little, or split it into two posts.", "body")
    return body


def _clean_note(note: str | None) -> str:
    note = " ".join(normalise_text(note).split()).rstrip(".")
    if len(note) > CONTENT_NOTE_MAX:
        raise ForumError(f"Keep the content note to {CONTENT_NOTE_MAX} characters or fewer, like “mentions of "
                         "self-harm”.", "content_note")
    return note


def _check_contact_details(text: str, allowed: bool) -> None:
    if not allowed and contact_details_in(text):
        raise ContactDetailsFound("It looks like your post includes an email address or phone number. Others will "
                                  "see it. Post anyway?")


# Who may see what ----------------------------------------------------------------------------------------------

def can_see_category(user, category: Category) -> bool:
    return not category.moderators_only or is_moderator(user)


def can_see_thread(user, thread: Thread) -> bool:
    """The category is theirs to read, and the thread has a post others can see (or is theirs, or they moderate)."""
    if not can_see_category(user, thread.category):
        return False
    return thread.last_visible_number > 0 or is_moderator(user) or thread.author_id == user.id


def visible_posts(user) -> ColumnElement[bool]:
    """SQL condition for the posts of an open thread that `user` sees: moderators all; others every post in
    PUBLIC_STATES (deleted and hidden ones as placeholders) and their own posts waiting for a moderator."""
    return _visible_posts(is_moderator(user), user.id)


def _visible_posts(moderator: bool, reader_id) -> ColumnElement[bool]:
    """visible_posts' rule, for a reader's id given as a value or as a bound parameter (statements built once)."""
    if moderator:
        return true()
    return or_(Post.state.in_(PUBLIC_STATES), and_(Post.state == "pending", Post.author_id == reader_id))


def _visible_categories_condition(user) -> ColumnElement[bool]:
    return true() if is_moderator(user) else Category.moderators_only.is_(False)


def _visible_threads_condition(user) -> ColumnElement[bool]:
    if is_moderator(user):
        return true()
    return or_(Thread.last_visible_number > 0, Thread.author_id == user.id)


def writing_paused(user) -> str | None:
    """Why `user` may read but not write now, kindly, with the date it ends; None when they may write."""
    if can_write(user):
        return None
    if restriction_of(user) is None:
        return "Only members can write in the forums."
    until = getattr(user, "restricted_until", None)
    when = f" until {day_and_time(until, user.time_zone or DEFAULT_ZONE)}" if until else ""
    return (f"A moderator has paused your posting{when}. You can still read the forums. Your notices from "
            "moderators say why, and how to ask for it to be looked at again.")


def _require_writing(user) -> None:
    message = writing_paused(user)
    if message:
        raise ForumError(message)


def can_reply(user, thread: Thread) -> bool:
    """Anyone who can open the thread and may write now, unless it is locked (moderators may still reply)."""
    return can_write(user) and (not thread.locked or is_moderator(user))


def is_declined(post: Post) -> bool:
    """A moderator did not approve this held post: it stays unseen by others, and its author sees why."""
    return post.state == "pending" and post.hidden_at is not None and post.deleted_at is None


def removed_by_moderator(post: Post) -> bool:
    """Deleted by a moderator, not by its author (who clears hidden_by_id when deleting their own post)."""
    return post.deleted_at is not None and post.hidden_by_id is not None


def can_edit(user, post: Post) -> bool:
    """Authors change their own posts, while others can still read them (or they wait for a moderator, unless
    declined) and the thread is open."""
    return (post.author_id == user.id and post.deleted_at is None and post.state in ("visible", "pending")
            and not is_declined(post) and (not post.thread.locked or is_moderator(user)))


def can_edit_now(user, post: Post) -> bool:
    """`can_edit`, and the author may write at the moment (not paused by a moderator): for the "Edit" link."""
    return can_edit(user, post) and can_write(user)


def can_delete(user, post: Post) -> bool:
    return post.author_id == user.id and post.deleted_at is None


def can_react(user, post: Post) -> bool:
    return post.state == "visible" and post.author_id != user.id


# Reading: categories and threads -------------------------------------------------------------------------------

def visible_categories(user) -> list[Category]:
    """The categories `user` may read, in the admins' order, with their kept counters (one query)."""
    return list(db.session.scalars(select(Category).where(_visible_categories_condition(user))
                                   .order_by(Category.position, Category.name)))


def get_category(user, slug: str) -> Category:
    """The category at /forums/<slug>; 404 if there is none `user` may read."""
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None or not can_see_category(user, category):
        abort(404)
    return category


@dataclass(frozen=True)
class ThreadRow:
    thread: Thread
    # The number of the last post the reader saw; None if they never opened the thread.
    last_read: int | None

    @property
    def is_new(self) -> bool:
        return self.last_read is None

    @property
    def has_unread(self) -> bool:
        return self.last_read is not None and self.thread.last_visible_number > self.last_read


@dataclass(frozen=True)
class Listing:
    rows: list
    page: int
    pages: int
    total: int


def _pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def category_threads(user, category: Category, page: int = 1) -> Listing:
    """A page of the category's threads for `user`: pinned first, then by last activity, with the reader's read
    state (two queries, whatever the number of threads)."""
    condition = and_(Thread.category_id == category.id, _visible_threads_condition(user))
    total = db.session.scalar(select(func.count()).select_from(Thread).where(condition))
    pages = _pages(total, THREADS_PER_PAGE)
    if page < 1 or page > pages:
        abort(404)
    order = (Thread.pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc())
    # The page's thread ids first (in ix_thread_category_listing's order), then their authors for those rows only:
    # otherwise a later page joins every earlier thread to its authors before skipping it.
    page_ids = (select(Thread.id).where(condition).order_by(*order)
                .limit(THREADS_PER_PAGE).offset((page - 1) * THREADS_PER_PAGE).subquery())
    rows = db.session.execute(
        select(Thread, ThreadRead.last_read_number)
        .join(page_ids, page_ids.c.id == Thread.id)
        .outerjoin(ThreadRead, and_(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == user.id))
        .options(joinedload(Thread.author), joinedload(Thread.last_post_author))
        .order_by(*order))
    return Listing([ThreadRow(thread, last_read) for thread, last_read in rows], page, pages, total)


def get_thread(user, thread_id: int) -> Thread:
    """The thread (with its category) if `user` may open it; 404 otherwise."""
    return _thread_with_read(user, thread_id)[0]


# The thread page's statements are built once a process, with the reader and the thread as bound parameters:
# building a SELECT (and its cache key) costs several times what running it does, on every page.

@cache
def _thread_with_read_statement(for_thread_page: bool = False) -> Select:
    """The thread, its category and how far the reader has read it; `for_thread_page` also whether the reader
    watches it and has agreed to the community guidelines, in the same statement rather than one each."""
    statement = (select(Thread, ThreadRead.last_read_number).join(Thread.category)
                 .options(contains_eager(Thread.category))
                 .outerjoin(ThreadRead, and_(ThreadRead.thread_id == Thread.id,
                                             ThreadRead.user_id == bindparam("reader_id")))
                 .where(Thread.id == bindparam("thread_id")))
    if for_thread_page:
        statement = statement.add_columns(watches_thread(bindparam("reader_id"), Thread.id),
                                          accepted_current_guidelines(bindparam("reader_id")))
    return statement


# Keeping up (community.forums.notify's watches and bookmarks) as conditions, for the thread page to read inside
# its own statements.

def watches_thread(user_id, thread_id) -> ColumnElement[bool]:
    """True when the member `user_id` watches the thread `thread_id` (values or columns)."""
    return exists().where(Watch.user_id == user_id, Watch.thread_id == thread_id)


def has_bookmarked(user_id, post_id) -> ColumnElement[bool]:
    """True when the member `user_id` has bookmarked the post `post_id` (values or columns)."""
    return exists().where(Bookmark.user_id == user_id, Bookmark.post_id == post_id)


def _visible_posts_to_reader(moderator: bool) -> ColumnElement[bool]:
    """visible_posts, for a statement built once: the reader's id is the bound parameter "reader_id"."""
    return _visible_posts(moderator, bindparam("reader_id"))


def _plain_rows(statement: Select, values: dict):
    """Run a statement that loads no ORM entity (only columns) on the session's connection: the ORM's share of
    session.execute costs a quarter of such a query's time and gives nothing back here. Changes not yet written are
    flushed first, as session.execute would."""
    db.session.flush()
    return db.session.connection().execute(statement, values)


def _thread_with_read(user, thread_id: int, for_thread_page: bool = False) -> tuple:
    """(thread, last read number), and `for_thread_page` whether `user` watches it and has agreed to the
    guidelines; 404 if they may not see it."""
    row = db.session.execute(_thread_with_read_statement(for_thread_page),
                             {"reader_id": user.id, "thread_id": thread_id}).first()
    if row is None or not can_see_thread(user, row[0]):
        abort(404)
    return tuple(row)


def get_thread_for_reply(user, thread_id: int) -> Thread:
    """The thread `user` wants to reply to: 404 if they may not open it, ForumError if it is locked."""
    thread = get_thread(user, thread_id)
    _require_writing(user)
    if not can_reply(user, thread):
        raise ForumError("This thread is locked, so it takes no new replies. You can still read it, or start a new "
                         "thread.")
    return thread


def get_post(user, post_id: int) -> Post:
    """A post (with its thread and category) that `user` may see; 404 otherwise."""
    post = db.session.scalar(
        select(Post).options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.category))
        .where(Post.id == post_id, visible_posts(user)))
    if post is None or not can_see_thread(user, post.thread):
        abort(404)
    return post


@dataclass(slots=True)
class PostView:
    """One post of a thread page as a plain row (not an ORM entity, which costs several times as much to load), with
    what the page works out from it once: its state in words, its times in the reader's time zone, its reactions,
    and what the reader may do with it."""

    id: int
    thread_id: int
    number: int
    author_id: int | None
    body_html: str
    content_note: str
    state: str
    created_at: datetime
    edited_at: datetime | None
    hidden_at: datetime | None
    hidden_by_id: int | None
    hidden_reason: str
    deleted_at: datetime | None
    # The author's name and role (None: a former member).
    author_name: str | None
    author_role: str | None
    # The reader has bookmarked it.
    bookmarked: bool
    thread: Thread
    # Deleted (by its author or a moderator); declined (a held post a moderator did not approve); hidden (or
    # declined): others see a placeholder.
    gone: bool = False
    declined: bool = False
    hidden: bool = False
    # "3 March 2027 at 19:05", and "edited at 19:30" (or "edited 4 March 2027 at 08:00"), in the reader's zone.
    when: str = ""
    edited: str = ""
    # Reaction kind -> count (only kinds given); a visible post's (kind, label, count, given by the reader) for
    # every kind of REACTIONS in order, for its buttons; written by the reader; the reader may edit it now (the
    # "Edit" link).
    counts: dict[str, int] = field(default_factory=dict)
    reactions: tuple[tuple[str, str, int, bool], ...] = ()
    mine: bool = False
    editable: bool = False

    @property
    def author_is_staff(self) -> bool:
        return self.author_role in STAFF_ROLES


def edited_words(created_at: datetime, edited_at: datetime, zone: str) -> str:
    """"edited at 19:05" when edited the day it was written (in `zone`), else "edited 3 March 2027 at 19:05"."""
    if day(edited_at, zone) == day(created_at, zone):
        return "edited at " + local_time(edited_at, "%H:%M", zone)
    return "edited " + day_and_time(edited_at, zone)


@dataclass
class ThreadPage:
    thread: Thread
    posts: list[PostView]
    page: int
    pages: int
    total: int
    # How far the reader had read before this page (None: never opened the thread).
    last_read: int | None
    # (page, number) of the first post the reader has not read yet, if they had opened the thread before.
    first_unread: tuple[int, int] | None
    # The reader watches the thread (told of every reply); has agreed to the community guidelines (may post).
    watching: bool = False
    agreed: bool = False

    @property
    def highest_number_shown(self) -> int:
        return max((post.number for post in self.posts), default=0)


# What the thread page shows of a post and of its author (not the Markdown source, nor the author's membership).
_POST_VIEW_COLUMNS = (Post.id, Post.thread_id, Post.number, Post.author_id, Post.body_html, Post.content_note,
                      Post.state, Post.created_at, Post.edited_at, Post.hidden_at, Post.hidden_by_id,
                      Post.hidden_reason, Post.deleted_at, User.display_name, User.role)


def thread_page(user, thread_id: int, page: int = 1) -> ThreadPage:
    """One page of a thread as `user` sees it: POSTS_PER_PAGE posts with their authors, the reactions on them,
    where the reader's first unread post is, whether they watch the thread, which posts they bookmarked and
    whether they agreed to the community guidelines. Three
    queries, however long the thread (two when the page has no post to react to)."""
    if page < 1:
        abort(404)
    thread, last_read, watching, agreed = _thread_with_read(user, thread_id, for_thread_page=True)
    rows = _plain_rows(_page_posts_statement(is_moderator(user)),
                       {"thread_id": thread.id, "offset": (page - 1) * POSTS_PER_PAGE, "reader_id": user.id,
                        "seen_up_to": last_read or 0}).all()
    # Each row ends with the reading position over all the posts the reader sees (the same on every row).
    total, already_seen, first_unread_number = rows[0][-3:] if rows else (0, 0, None)
    pages = _pages(total, POSTS_PER_PAGE)
    if page > pages:
        abort(404)
    first_unread = _first_unread(last_read, already_seen, first_unread_number)
    zone = user.time_zone or DEFAULT_ZONE
    posts = []
    for row in rows:
        post = PostView(*row[:-3], thread)
        post.gone = post.state == "deleted" or post.deleted_at is not None
        post.declined = post.state == "pending" and post.hidden_at is not None and not post.gone
        post.hidden = post.state == "hidden" or post.declined
        post.when = day_and_time(post.created_at, zone)
        if post.edited_at is not None:
            post.edited = edited_words(post.created_at, post.edited_at, zone)
        post.mine = post.author_id == user.id
        post.editable = post.mine and can_edit_now(user, post)
        posts.append(post)
    view = ThreadPage(thread, posts, page, pages, total, last_read, first_unread, watching=bool(watching),
                      agreed=bool(agreed))
    reactable = {post.id: post for post in posts if post.state == "visible"}
    if reactable:
        given = set()
        for post_id, kind, count, mine in _plain_rows(
                _page_reactions_statement(), {"reader_id": user.id, "post_ids": list(reactable)}):
            reactable[post_id].counts[kind] = count
            if mine:
                given.add((post_id, kind))
        # Each button's numbers worked out here, once, rather than looked up by the template (its dearest part).
        for post in reactable.values():
            post.reactions = tuple((kind, label, post.counts.get(kind, 0), (post.id, kind) in given)
                                   for kind, label in REACTIONS.items())
    return view


@cache
def _page_posts_statement(moderator: bool) -> Select:
    """The posts of a page of a thread, with their authors' names and roles and whether the reader bookmarked
    each; then, on every row, the reading position (_reading_position's three numbers, over all the posts the
    reader sees: window functions, worked out before the page is cut, so no second statement is needed)."""
    # The page's post ids first (read in (thread_id, number) order), then their authors for those rows only.
    total, already_seen, first_unread = _reading_position_columns()
    page = (select(Post.id, total.over().label("total"), already_seen.over().label("already_seen"),
                   first_unread.over().label("first_unread"))
            .where(Post.thread_id == bindparam("thread_id"), _visible_posts_to_reader(moderator))
            .order_by(Post.number).limit(POSTS_PER_PAGE).offset(bindparam("offset")).subquery())
    return (select(*_POST_VIEW_COLUMNS, has_bookmarked(bindparam("reader_id"), Post.id),
                   page.c.total, page.c.already_seen, page.c.first_unread)
            .join(page, page.c.id == Post.id)
            .outerjoin(User, User.id == Post.author_id).order_by(Post.number))


@cache
def _page_reactions_statement() -> Select:
    """For each of the posts "post_ids" and each kind: how many reacted, and whether the reader did (1 or 0)."""
    return (select(Reaction.post_id, Reaction.kind, func.count(),
                   func.sum(case((Reaction.user_id == bindparam("reader_id"), 1), else_=0)))
            .where(Reaction.post_id.in_(bindparam("post_ids", expanding=True)))
            .group_by(Reaction.post_id, Reaction.kind))


def _reading_position_columns() -> tuple:
    """Over the posts a reader sees: how many; how many up to "seen_up_to" (the number of the last post they read,
    a bound parameter); the number of the first after it (None when there is none). Aggregates, or windows."""
    seen_up_to = bindparam("seen_up_to")
    return (func.count(), func.sum(case((Post.number <= seen_up_to, 1), else_=0)),
            func.min(case((Post.number > seen_up_to, Post.number))))


@cache
def _reading_position_statement(moderator: bool) -> Select:
    total, already_seen, first_unread = _reading_position_columns()
    return (select(total, func.coalesce(already_seen, 0), first_unread)  # no post at all: a sum of nothing is NULL
            .where(Post.thread_id == bindparam("thread_id"), _visible_posts_to_reader(moderator)))


def _reading_position(user, thread: Thread, last_read: int | None) -> tuple[int, tuple[int, int] | None]:
    """How many posts of the thread `user` sees, and the (page, number) of the first they have not read (None if
    they never opened the thread or have read everything). One query."""
    moderator = is_moderator(user)
    total, already_seen, first_unread_number = _plain_rows(
        _reading_position_statement(moderator),
        {"thread_id": thread.id, "seen_up_to": last_read or 0, **({} if moderator else {"reader_id": user.id})}).one()
    return total, _first_unread(last_read, already_seen, first_unread_number)


def _first_unread(last_read: int | None, already_seen: int, first_unread_number: int | None) -> tuple[int, int] | None:
    """(page, number) of the first post not read yet: None if the reader never opened the thread or is up to date."""
    if last_read is None or first_unread_number is None:
        return None
    return already_seen // POSTS_PER_PAGE + 1, first_unread_number


def page_of_post(user, post: Post) -> int:
    """Which page of its thread `post` is on, for `user` (whose view may hold fewer posts than a moderator's)."""
    before = db.session.scalar(select(func.count()).select_from(Post).where(
        Post.thread_id == post.thread_id, Post.number < post.number, visible_posts(user)))
    return before // POSTS_PER_PAGE + 1


def first_unread_location(user, thread_id: int) -> tuple[int, int | None]:
    """(page, post number) of the first post `user` has not read; the last page when they have read them all."""
    thread, last_read = _thread_with_read(user, thread_id)
    total, first_unread = _reading_position(user, thread, last_read)
    if first_unread:
        return first_unread
    return (1 if last_read is None else _pages(total, POSTS_PER_PAGE)), None


# Read state ----------------------------------------------------------------------------------------------------

def _upsert_read(user_id: int, thread_id: int, number: int):
    """INSERT the read mark, or raise it on the existing row, but never lower it (one statement)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    now = utcnow()
    statement = insert(ThreadRead).values(user_id=user_id, thread_id=thread_id, last_read_number=number,
                                          updated_at=now)
    return statement.on_conflict_do_update(
        index_elements=[ThreadRead.user_id, ThreadRead.thread_id],
        set_={"last_read_number": number, "updated_at": now},
        where=ThreadRead.last_read_number < number)


def mark_read(user, thread_id: int, number: int, already_read: int | None) -> bool:
    """Remember that `user` has seen the thread up to post `number`. Writes only when that is further than
    `already_read` (what the page loaded), so reading again what was read writes nothing. True if it wrote."""
    if number <= 0 or (already_read is not None and number <= already_read):
        return False
    try:
        if already_read is None:
            db.session.execute(_upsert_read(user.id, thread_id, number))
        else:
            db.session.execute(update(ThreadRead).where(
                ThreadRead.user_id == user.id, ThreadRead.thread_id == thread_id,
                ThreadRead.last_read_number < number).values(last_read_number=number, updated_at=utcnow()))
        db.session.commit()
    except SQLAlchemyError:
        # Reading must never fail for the sake of a read mark (a busy database): the next visit sets it.
        db.session.rollback()
        log.warning("Could not mark thread %s read for user %s", thread_id, user.id, exc_info=True)
        return False
    return True


# Writing -------------------------------------------------------------------------------------------------------

def _next_number(thread: Thread) -> int:
    """Take the thread's next post number. The UPDATE also locks the thread's row (PostgreSQL) until the commit,
    so two replies at once are numbered, and counted, one after the other."""
    number = db.session.execute(
        update(Thread).where(Thread.id == thread.id).values(last_number=Thread.last_number + 1)
        .returning(Thread.last_number).execution_options(synchronize_session=False)).scalar_one()
    db.session.expire(thread, ["last_number"])
    return number


def _count_newly_visible(thread: Thread, post: Post) -> None:
    """A new post everyone can see: the thread's and category's counters and "last post", as SQL increments."""
    category = thread.category
    thread.last_visible_number = post.number
    thread.last_post_at = post.created_at
    thread.last_post_author_id = post.author_id
    if post.number > 1:
        thread.reply_count = Thread.reply_count + 1
    else:
        category.thread_count = Category.thread_count + 1
    category.post_count = Category.post_count + 1
    category.last_post_at = post.created_at


def _add_post(author: User, thread: Thread, body: str, note: str, state: str, form_token: str | None) -> Post:
    now = utcnow()
    number = _next_number(thread)
    post = Post(thread_id=thread.id, number=number, author_id=author.id, body=body, body_html=render_post(body),
                content_note=note, state=state, created_at=now, form_token=form_token)
    db.session.add(post)
    if state == "visible":
        _count_newly_visible(thread, post)
    # The writer has read their own post (and, by replying, what came before it).
    db.session.execute(_upsert_read(author.id, thread.id, number))
    return post


def _review(author: User, text: str, *, editing: bool = False) -> Review:
    """What moderation makes of the words (community.moderation.services.review_new_content). A blocked phrase
    is refused as a ForumError on the body, so the form shows it with the writer's words kept."""
    try:
        return review_new_content(REVIEW_KIND, author, text, editing=editing)
    except ContentBlocked as blocked:
        raise ForumError(blocked.message, "body") from None


def _post_sent_before(author: User, form_token: str | None) -> Post | None:
    """The post this same form already made, marked `repeated` so nobody is told about it twice."""
    if form_token is None:
        return None
    post = db.session.scalar(select(Post).where(Post.author_id == author.id, Post.form_token == form_token))
    if post is not None:
        post.repeated, post.crisis = True, False
    return post


def _commit_new_post(author: User, post: Post, form_token: str | None) -> Post:
    """Commit; when the same form, sent twice at once, made its post first, return that one."""
    return commit_or_existing(lambda: _post_sent_before(author, form_token)) or post


def _written(author: User, post: Post, review: Review) -> None:
    """Hand the saved post to moderation (held, watched-word and crisis posts go in its queue), in this
    transaction; and keep the crisis outcome on the post for the route, which shows the writer where to find help."""
    db.session.flush()
    content_written(REVIEW_KIND, post.id, author, review)


def create_thread(author: User, category: Category, title: str, body: str, content_note: str = "", *,
                  allow_contact_details: bool = False, form_token: str | None = None) -> Post:
    """Start a thread in `category` with its first post, and return that post (`post.thread` is the thread).
    Raises ContactDetailsFound unless `allow_contact_details`, when the words seem to hold an email address or
    phone number. The post is "visible" or, if moderation holds it, "pending" (then so is the thread). The same
    `form_token` sent again returns the first post, marked `repeated`."""
    _require_writing(author)
    form_token = form_token_or_none(form_token)
    if (first := _post_sent_before(author, form_token)) is not None:
        return first
    if not can_see_category(author, category):
        raise ForumError("You cannot start a thread in that category.")
    title, body, note = _clean_title(title), _clean_body(body), _clean_note(content_note)
    _check_contact_details(f"{title}\n{body}\n{note}", allow_contact_details)
    review = _review(author, f"{title}\n\n{body}")
    now = utcnow()
    thread = Thread(category_id=category.id, author_id=author.id, title=title, created_at=now, last_post_at=now,
                    last_post_author_id=author.id)
    db.session.add(thread)
    db.session.flush()
    thread.category = category
    post = _add_post(author, thread, body, note, review.state, form_token)
    _written(author, post, review)
    post = _commit_new_post(author, post, form_token)
    if not getattr(post, "repeated", False):
        post.crisis = review.crisis
    return post


def create_post(author: User, thread: Thread, body: str, content_note: str = "", *,
                quoted_post_id: int | None = None, allow_contact_details: bool = False,
                form_token: str | None = None) -> Post:
    """Reply in `thread`. Refused in a locked thread (moderators may still reply). `quoted_post_id` is checked
    (a post of this thread the author may see) and otherwise ignored; the caller passes it on to
    `notify.post_published` once the post is visible. Raises ContactDetailsFound as `create_thread` does; the same
    `form_token` sent again returns the first post, marked `repeated`."""
    _require_writing(author)
    form_token = form_token_or_none(form_token)
    if (first := _post_sent_before(author, form_token)) is not None:
        return first
    if not can_reply(author, thread):
        raise ForumError("This thread has been locked by a moderator, so it takes no new replies. Your words are "
                         "still below if you want to keep them.")
    body, note = _clean_body(body), _clean_note(content_note)
    _check_contact_details(f"{body}\n{note}", allow_contact_details)
    review = _review(author, body)
    post = _add_post(author, thread, body, note, review.state, form_token)
    _written(author, post, review)
    post = _commit_new_post(author, post, form_token)
    if not getattr(post, "repeated", False):
        post.crisis = review.crisis
    return post


def quotable_post(user, thread: Thread, post_id: int | None) -> Post | None:
    """The post `user` wants to quote in `thread`, if it is one they can see in full there."""
    if not post_id or not 0 < post_id < 2**31:  # no id beyond the database's integer (an address typed by hand)
        return None
    post = db.session.scalar(select(Post).options(joinedload(Post.author)).where(
        Post.id == post_id, Post.thread_id == thread.id, visible_posts(user)))
    if post is None or post.deleted_at is not None or post.state not in ("visible", "pending"):
        return None
    return post


def _markdown_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|~])", r"\\\1", text)


def quote_text(post: Post) -> str:
    """The start of a reply quoting `post`, as Markdown: "> **Name** wrote:" and its words, each line quoted."""
    name = post.author.display_name if post.author else "A former member"
    lines = [f"> **{_markdown_escape(name)}** wrote:", ">"]
    lines += [f"> {line}".rstrip() for line in post.body.splitlines()]
    return "\n".join(lines) + "\n\n"


def edit_post(editor: User, post: Post, body: str, content_note: str = "", *, title: str | None = None,
              allow_contact_details: bool = False) -> bool:
    """Change your own post (and, for a thread's first post, its title). The words it had are kept as a
    PostRevision for moderators; the post is reviewed again, so a "hold" phrase sends it back to "pending", and a
    post still waiting stays waiting (editing never lets a held post skip the moderator). False when nothing
    changed (nothing is saved). `post.crisis` says whether the new words suggest a crisis."""
    _require_writing(editor)
    if not can_edit(editor, post):
        raise ForumError("You can only change your own posts, while others can read them and the thread is open.")
    body, note = _clean_body(body), _clean_note(content_note)
    thread = post.thread
    title = _clean_title(title) if title is not None and post.number == 1 else thread.title
    if body == post.body and note == post.content_note and title == thread.title:
        return False
    _check_contact_details(f"{title}\n{body}\n{note}", allow_contact_details)
    db.session.add(PostRevision(post_id=post.id, body=post.body, content_note=post.content_note,
                                edited_by_id=editor.id))
    old_state = post.state
    review = _review(editor, f"{title}\n\n{body}" if post.number == 1 else body, editing=True)
    post.state = "pending" if old_state == "pending" else review.state
    post.body, post.body_html, post.content_note, post.edited_at = body, render_post(body), note, utcnow()
    thread.title = title
    if post.state != old_state:
        refresh_thread_counters(thread)
        refresh_category_counters(thread.category)
    _written(editor, post, review)
    db.session.commit()
    post.crisis = review.crisis
    return True


def delete_post(user: User, post: Post) -> None:
    """The author takes their post down. Others then see "This post was deleted by its author." in its place
    (the thread stays, even when it was the first post). A post still waiting for a moderator was never seen by
    others: it keeps its "pending" state with deleted_at set, so no placeholder appears, and moderation must not
    approve it."""
    if not can_delete(user, post):
        raise ForumError("You can only delete your own posts.")
    post.deleted_at = utcnow()
    # Theirs, not a moderator's: the placeholder says "deleted by its author" (removed_by_moderator).
    post.hidden_by_id = None
    if post.state == "pending":
        db.session.commit()
        return
    post.state = "deleted"
    refresh_thread_counters(post.thread)
    refresh_category_counters(post.thread.category)
    db.session.commit()


def post_history(post: Post) -> list[PostRevision]:
    """The words a post had before each edit, newest first, with who edited it."""
    return list(db.session.scalars(select(PostRevision).options(joinedload(PostRevision.edited_by))
                                   .where(PostRevision.post_id == post.id).order_by(PostRevision.id.desc())))


# Counters (also for moderation, after it hides, restores or approves a post) ----------------------------------

def refresh_thread_counters(thread: Thread) -> None:
    """Recount a thread's counters from its posts, in the caller's transaction (after a post changes state).
    Locks the thread's row first (PostgreSQL), so a reply arriving at the same moment is counted once."""
    db.session.execute(select(Thread.id).where(Thread.id == thread.id).with_for_update())
    posts = Post.thread_id == thread.id
    thread.last_visible_number = db.session.scalar(
        select(func.max(Post.number)).where(posts, Post.state.in_(PUBLIC_STATES))) or 0
    thread.reply_count = db.session.scalar(
        select(func.count()).select_from(Post).where(posts, Post.state == "visible", Post.number > 1))
    newest = db.session.execute(select(Post.created_at, Post.author_id).where(posts, Post.state == "visible")
                                .order_by(Post.number.desc()).limit(1)).first()
    thread.last_post_at, thread.last_post_author_id = newest if newest else (thread.created_at, thread.author_id)


def refresh_category_counters(category: Category) -> None:
    """Recount a category's threads, posts and last activity from its threads, in the caller's transaction."""
    published = and_(Thread.category_id == category.id, Thread.last_visible_number > 0)
    db.session.flush()
    category.thread_count = db.session.scalar(select(func.count()).select_from(Thread).where(published))
    category.post_count = db.session.scalar(
        select(func.count()).select_from(Post).join(Thread, Post.thread_id == Thread.id)
        .where(Thread.category_id == category.id, Post.state == "visible"))
    category.last_post_at = db.session.scalar(select(func.max(Thread.last_post_at)).where(published))


# Reactions -----------------------------------------------------------------------------------------------------

def toggle_reaction(user: User, post: Post, kind: str) -> bool:
    """Give one of REACTIONS to a post, or take it back if already given. True when it is now given."""
    _require_writing(user)
    if kind not in REACTIONS:
        raise ForumError("Choose one of the reactions under the post.")
    if not can_react(user, post):
        raise ForumError("You can react to other members’ posts that everyone can see.")
    mine = and_(Reaction.post_id == post.id, Reaction.user_id == user.id, Reaction.kind == kind)
    if db.session.execute(delete(Reaction).where(mine)).rowcount:
        db.session.commit()
        return False
    db.session.add(Reaction(post_id=post.id, user_id=user.id, kind=kind))
    try:
        db.session.commit()
    except IntegrityError:  # a second tap got there first: it is given, once
        db.session.rollback()
    return True


def reactions_by_kind(post: Post) -> dict[str, list[User]]:
    """Who gave each reaction to a post (oldest first), for "names on request"."""
    names: dict[str, list[User]] = {kind: [] for kind in REACTIONS}
    for reaction in db.session.scalars(select(Reaction).options(joinedload(Reaction.user))
                                       .where(Reaction.post_id == post.id).order_by(Reaction.created_at)):
        names[reaction.kind].append(reaction.user)
    return names


# Moderators: lock, pin, move -----------------------------------------------------------------------------------

def _require_moderator(user) -> None:
    if not is_moderator(user):
        raise ForumError("Only moderators can do that.")


def set_thread_locked(moderator: User, thread: Thread, locked: bool) -> bool:
    """Lock a thread (no new replies, except from moderators) or open it again. False if it already was."""
    _require_moderator(moderator)
    if thread.locked == locked:
        return False
    thread.locked = locked
    record_action(moderator, "forum.thread_locked" if locked else "forum.thread_unlocked", "forum_thread",
                  thread.id, detail=f"“{thread.title}”")
    db.session.commit()
    return True


def set_thread_pinned(moderator: User, thread: Thread, pinned: bool) -> bool:
    """Pin a thread to the top of its category, or unpin it. False if it already was."""
    _require_moderator(moderator)
    if thread.pinned == pinned:
        return False
    thread.pinned = pinned
    record_action(moderator, "forum.thread_pinned" if pinned else "forum.thread_unpinned", "forum_thread",
                  thread.id, detail=f"“{thread.title}”")
    db.session.commit()
    return True


def move_thread(moderator: User, thread: Thread, category: Category) -> bool:
    """Move a thread to another category; both categories' counters follow. False if it is already there."""
    _require_moderator(moderator)
    if thread.category_id == category.id:
        return False
    old = thread.category
    thread.category_id = category.id
    thread.category = category
    refresh_category_counters(old)
    refresh_category_counters(category)
    record_action(moderator, "forum.thread_moved", "forum_thread", thread.id,
                  detail=f"“{thread.title}” from “{old.name}” to “{category.name}”")
    db.session.commit()
    return True


# Admins: categories --------------------------------------------------------------------------------------------

def all_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def find_category(category_id: int) -> Category | None:
    return db.session.get(Category, category_id)


def slug_for(name: str) -> str:
    """"Living with a leak" -> "living-with-a-leak", made unique and kept clear of the forums' own addresses."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:70].strip("-") or "category"
    taken = set(db.session.scalars(select(Category.slug).where(Category.slug.like(f"{base}%"))))
    slug, counter = base, 2
    while slug in taken or slug in RESERVED_SLUGS:
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def _clean_category(name: str, description: str, category: Category | None = None) -> tuple[str, str]:
    name = " ".join((name or "").split())
    description = normalise_text(description)
    if not name:
        raise ForumError("Enter a name for the category, like “Living with a leak”.", "name")
    if len(name) > CATEGORY_NAME_MAX:
        raise ForumError(f"Keep the name to {CATEGORY_NAME_MAX} characters or fewer.", "name")
    if len(description) > CATEGORY_DESCRIPTION_MAX:
        raise ForumError(f"Keep the description to {CATEGORY_DESCRIPTION_MAX} characters or fewer.", "description")
    same_name = db.session.scalar(select(Category).where(func.lower(Category.name) == name.lower()))
    if same_name is not None and same_name is not category:
        raise ForumError(f"There is already a category called “{same_name.name}”. Choose another name.", "name")
    return name, description


def create_category(admin: User, name: str, description: str = "", moderators_only: bool = False) -> Category:
    """A new category at the end of the list; its address is made from its name and then kept."""
    name, description = _clean_category(name, description)
    last = db.session.scalar(select(func.max(Category.position))) or 0
    category = Category(slug=slug_for(name), name=name, description=description, position=last + 1,
                        moderators_only=moderators_only)
    db.session.add(category)
    db.session.flush()
    record_action(admin, "forum.category_created", "forum_category", category.id,
                  detail=f"“{name}” at /forums/{category.slug}{', moderators only' if moderators_only else ''}")
    db.session.commit()
    return category


def update_category(admin: User, category: Category, name: str, description: str, moderators_only: bool) -> bool:
    """Rename or describe a category, or change who may read it (its address stays). False if nothing changed."""
    name, description = _clean_category(name, description, category)
    changes = []
    if name != category.name:
        changes.append(f"name “{category.name}” to “{name}”")
    if description != category.description:
        changes.append("description")
    if moderators_only != category.moderators_only:
        changes.append("moderators only" if moderators_only else "open to all members")
    if not changes:
        return False
    category.name, category.description, category.moderators_only = name, description, moderators_only
    record_action(admin, "forum.category_edited", "forum_category", category.id, detail="; ".join(changes))
    db.session.commit()
    return True


def move_category(admin: User, category: Category, direction: str) -> bool:
    """Move a category one place "up" or "down" in the list. False when it is already at that end."""
    categories = all_categories()
    index = next(number for number, each in enumerate(categories) if each.id == category.id)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(categories):
        return False
    categories[index], categories[other] = categories[other], categories[index]
    for position, each in enumerate(categories, start=1):
        each.position = position
    record_action(admin, "forum.category_moved", "forum_category", category.id,
                  detail=f"“{category.name}” {direction} to place {other + 1} of {len(categories)}")
    db.session.commit()
    return True
