"""Keeping up with the forums: who is told about a new post (mentions, quotes, watchers), watching threads and
categories, bookmarks, and a member's own posts and bookmarks.

The forum's own services call nothing here; their routes call `post_published` once a new post is committed.
Only people who may see the post are told, never its author, never about a held or hidden post, and each person
at most once per post, for the strongest of their reasons (mention > quote > reply).
"""

import re
import unicodedata
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from sqlalchemy import delete, false, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from community.accounts.models import User
from community.extensions import db
from community.notifications import services as notifications
from community.notifications.models import Notification
from community.permissions import has_member_access, is_moderator

from .models import Bookmark, Category, Post, Thread, Watch
from .services import can_see_category, can_see_thread

# A post naming more people than this is not a conversation: only the first ones are told.
MAX_MENTIONS = 20
MAX_MENTION_CANDIDATES = 500


# Who may see what -----------------------------------------------------------------------------------------

def may_see_category(user: User | None, category: Category) -> bool:
    """Forums are for members (community.permissions); a moderators-only category only for moderators."""
    return has_member_access(user) and can_see_category(user, category)


def may_see_thread(user: User | None, thread: Thread) -> bool:
    """As the thread page decides (community.forums.services.can_see_thread), for members only."""
    return has_member_access(user) and can_see_thread(user, thread)


def _visible_categories(user: User):
    """A WHERE clause on Category for the categories this person may see."""
    if not has_member_access(user):
        return false()
    return true() if is_moderator(user) else Category.moderators_only.is_(False)


def _readable_posts(user: User):
    """A WHERE clause on Post: what others see in full (visible), and the person's own unless deleted."""
    return or_(Post.state == "visible",
               (Post.author_id == user.id) & (Post.state != "deleted") & Post.deleted_at.is_(None))


# Links ----------------------------------------------------------------------------------------------------

def _path(endpoint: str, **values) -> str:
    """A path on this site, in a request or not (post_published may run from a command or a test)."""
    if has_request_context():
        return url_for(endpoint, **values)
    prefix = urlsplit(current_app.config["SITE_URL"]).path or "/"
    return current_app.url_map.bind("localhost", script_name=prefix).build(endpoint, values)


def post_path(post: Post) -> str:
    """A post's lasting address (/forums/p/<id>): it leads to the right page of the thread for whoever opens it."""
    return _path("forums.post", post_id=post.id)


def thread_path(thread: Thread) -> str:
    return _path("forums.thread", thread_id=thread.id)


def category_path(category: Category) -> str:
    return _path("forums.category", category_slug=category.slug)


# Mentions -------------------------------------------------------------------------------------------------

_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~).*?(?:^[ \t]{0,3}\1[^\n]*$|\Z)", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_QUOTE_LINE = re.compile(r"^[ \t]{0,3}>.*$", re.MULTILINE)
# "@" not inside a word or an email address, then the first word of a display name.
_AT = re.compile(r"(?<![\w@.+-])@(\w+)")
_WORD_CHAR = re.compile(r"\w")


def _mentionable_text(body: str) -> str:
    """The post's own words: code and quoted text (someone else's mentions) left out; spacing made plain, as
    display names are (NFKC, single spaces)."""
    text = _FENCE.sub(" ", body)
    text = _QUOTE_LINE.sub(" ", text)
    text = _INLINE_CODE.sub(" ", text)
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _like_prefix(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def mentioned_user_ids(body: str) -> list[int]:
    """The members named with `@Display Name` in a post, in order of first mention (at most MAX_MENTIONS).

    Display names may hold spaces, so "@" is followed by the longest display name (case-insensitive) that the
    text continues with and that ends where a word ends: "@Sam Jones said" names Sam Jones if there is one,
    otherwise Sam. Candidates come from one query: names starting with the word after each "@". Two members
    with the same name are both named (the writer cannot tell them apart either).
    """
    text = _mentionable_text(body)
    ats = [(match.start(), match.group(1)) for match in _AT.finditer(text)]
    if not ats:
        return []
    words = list(dict.fromkeys(word for _, word in ats))[:MAX_MENTIONS]
    # lower() in SQLite folds only ASCII letters: a name is also found by the word as it was typed.
    rows = db.session.execute(
        select(User.id, User.display_name)
        .where(or_(*(condition for word in words for condition in (
            func.lower(User.display_name).like(_like_prefix(word.lower()), escape="\\"),
            User.display_name.like(_like_prefix(word), escape="\\")))))
        .order_by(User.id).limit(MAX_MENTION_CANDIDATES)).all()
    by_name: dict[str, list[int]] = {}
    for user_id, name in rows:
        by_name.setdefault(name.lower(), []).append(user_id)
    names = sorted(by_name, key=len, reverse=True)
    found: list[int] = []
    for start, _ in ats:
        rest = text[start + 1:start + 1 + 200].lower()
        for name in names:
            if rest.startswith(name) and not (len(rest) > len(name) and _WORD_CHAR.match(rest[len(name)])):
                found.extend(user_id for user_id in by_name[name] if user_id not in found)
                break
        if len(found) >= MAX_MENTIONS:
            break
    return found[:MAX_MENTIONS]


# After a post is published ---------------------------------------------------------------------------------

def _ensure_watching(user_id: int, thread_id: int | None = None, category_id: int | None = None) -> None:
    """Add the watch unless it is there (in the caller's transaction). The table's unique constraint cannot
    catch a repeat, since one of its columns is always NULL."""
    def same(column, value):
        return column.is_(None) if value is None else column == value

    exists = db.session.scalar(select(Watch.id).where(Watch.user_id == user_id, same(Watch.thread_id, thread_id),
                                                      same(Watch.category_id, category_id)).limit(1))
    if exists is None:
        db.session.add(Watch(user_id=user_id, thread_id=thread_id, category_id=category_id))


def _words(actor: User | None, kind: str, thread: Thread) -> str:
    who = actor.display_name if actor is not None else "A former member"
    title = f"“{thread.title}”"
    return {
        "mention": f"{who} mentioned you in {title}",
        "quote": f"{who} quoted your post in {title}",
        "reply": f"{who} replied in {title}",
        "thread": f"{who} started {title} in {thread.category.name}",
    }[kind]


def post_published(post_id: int, quoted_post_id: int | None = None) -> None:
    """Called once a new post is committed: its author now watches the thread, and if the post is visible,
    everyone with a reason to hear of it (mentioned, quoted, watching) and the right to see it is told once.

    Commits; emails those who chose "at once" after the response. Calling it twice for a post tells nobody twice.
    """
    post = db.session.scalar(select(Post).where(Post.id == post_id)
                             .options(joinedload(Post.thread).joinedload(Thread.category), joinedload(Post.author)))
    if post is None:
        return
    thread = post.thread
    if post.author_id is not None:
        _ensure_watching(post.author_id, thread_id=thread.id)
    if post.state != "visible":
        db.session.commit()
        return

    reasons: dict[int, str] = {}

    def offer(user_id: int | None, kind: str) -> None:
        if user_id is None or user_id == post.author_id:
            return
        current = reasons.get(user_id)
        if current is None or notifications.KIND_STRENGTH[kind] > notifications.KIND_STRENGTH[current]:
            reasons[user_id] = kind

    watching = [Watch.thread_id == thread.id]
    if post.number == 1:
        watching.append(Watch.category_id == thread.category_id)
    for user_id, watched_thread_id in db.session.execute(
            select(Watch.user_id, Watch.thread_id).where(or_(*watching)).distinct()):
        offer(user_id, "reply" if watched_thread_id == thread.id and post.number > 1 else "thread")
    if quoted_post_id is not None:
        offer(db.session.scalar(select(Post.author_id).where(Post.id == quoted_post_id)), "quote")
    for user_id in mentioned_user_ids(post.body):
        offer(user_id, "mention")

    url = post_path(post)
    if reasons:
        already = set(db.session.scalars(select(Notification.user_id).where(
            Notification.user_id.in_(list(reasons)), Notification.url == url)))
        people = db.session.scalars(select(User).where(User.id.in_([u for u in reasons if u not in already])))
        new = [notifications.NewNotification(person.id, reasons[person.id], post.author_id,
                                             _words(post.author, reasons[person.id], thread), url)
               for person in people.unique() if may_see_thread(person, thread)]
        rows = notifications.add_notifications(new)
    else:
        rows = []
    db.session.commit()
    notifications.send_instant_emails_after_response([row.id for row in rows])


# Watching -------------------------------------------------------------------------------------------------
# The routes load the thread, category or post with the forum's own loaders (which answer 404 to anyone who
# may not see it) and pass it here.

def watch_thread(user: User, thread: Thread) -> None:
    """Follow a thread: told of every new reply. Committed."""
    _ensure_watching(user.id, thread_id=thread.id)
    db.session.commit()


def unwatch_thread(user: User, thread: Thread) -> None:
    db.session.execute(delete(Watch).where(Watch.user_id == user.id, Watch.thread_id == thread.id))
    db.session.commit()


def watch_category(user: User, category: Category) -> None:
    """Follow a category: told of every new thread in it. Committed."""
    _ensure_watching(user.id, category_id=category.id)
    db.session.commit()


def unwatch_category(user: User, category: Category) -> None:
    db.session.execute(delete(Watch).where(Watch.user_id == user.id, Watch.category_id == category.id))
    db.session.commit()


def is_watching_category(user: User, category_id: int) -> bool:
    """For the category page's button (one small query)."""
    return db.session.scalar(select(Watch.id).where(Watch.user_id == user.id, Watch.category_id == category_id)
                             .limit(1)) is not None


# Bookmarks ------------------------------------------------------------------------------------------------

def can_bookmark(user: User, post: Post) -> bool:
    """A post the person can read in full: visible, or their own (held or hidden), never a deleted one."""
    return post.state == "visible" or (post.author_id == user.id and post.state != "deleted"
                                       and post.deleted_at is None)


def bookmark_post(user: User, post: Post) -> bool:
    """Keep a post in the person's bookmarks (once). False when it cannot be bookmarked. Committed."""
    if not can_bookmark(user, post):
        return False
    if db.session.get(Bookmark, (user.id, post.id)) is None:
        db.session.add(Bookmark(user_id=user.id, post_id=post.id))
        try:
            db.session.commit()
        except IntegrityError:  # a second tap got there first: it is bookmarked, once
            db.session.rollback()
    return True


def unbookmark_post(user: User, post_id: int) -> bool:
    """Remove a bookmark, even one of a post that can no longer be read. False if there was none. Committed."""
    removed = db.session.execute(delete(Bookmark).where(Bookmark.user_id == user.id,
                                                        Bookmark.post_id == post_id)).rowcount
    db.session.commit()
    return bool(removed)


# A member's own lists -------------------------------------------------------------------------------------

def my_posts(user: User, page: int | None = 1) -> notifications.Page[Post]:
    """The person's posts, newest first (deleted ones left out; held and hidden ones shown to them), one query."""
    statement = (select(Post)
                 .join(Post.thread).join(Thread.category)
                 .where(Post.author_id == user.id, Post.state != "deleted", Post.deleted_at.is_(None),
                        _visible_categories(user))
                 .options(contains_eager(Post.thread).contains_eager(Thread.category))
                 .order_by(Post.created_at.desc(), Post.id.desc()))
    return notifications.page_of(statement, page)


def my_bookmarks(user: User, page: int | None = 1) -> notifications.Page[Post]:
    """The posts the person bookmarked and may still read, most recently bookmarked first, one query."""
    statement = (select(Post)
                 .join(Bookmark, (Bookmark.post_id == Post.id) & (Bookmark.user_id == user.id))
                 .join(Post.thread).join(Thread.category)
                 .where(_readable_posts(user), _visible_categories(user))
                 .options(contains_eager(Post.thread).contains_eager(Thread.category), joinedload(Post.author))
                 .order_by(Bookmark.created_at.desc(), Post.id.desc()))
    return notifications.page_of(statement, page)
