"""What the forums hold about a member, for their data export: their threads and posts (with the earlier words of
posts they edited), and their reactions, watches, bookmarks and how far they have read. Another member's words
never go in: a reaction or bookmark names the thread, not the post's words. Each list is one query, however many
rows it has."""

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.orm import aliased

from community.accounts.models import User
from community.dates import iso_or_none
from community.extensions import db, utcnow
from community.moderation.services import close_open_item
from community.privacy.erasure import Erasure, delete_rows

from .models import REACTIONS, Bookmark, Category, Post, PostRevision, Reaction, Thread, ThreadRead, Watch
from .services import REVIEW_KIND, refresh_category_counters, refresh_thread_counters

STATE_WORDS = {"visible": "Shown", "pending": "Waiting for a moderator", "hidden": "Hidden by a moderator",
               "deleted": "Deleted"}


def export_posts(user: User) -> dict:
    """Threads they started, every post they wrote (with thread and category), the earlier versions of their posts,
    and, for moderators, how many of other members' posts they edited or hid (never the words)."""
    threads = db.session.execute(
        select(Thread.title, Category.name, Thread.created_at).join(Category, Thread.category_id == Category.id)
        .where(Thread.author_id == user.id).order_by(Thread.created_at, Thread.id)).all()
    posts = db.session.execute(
        select(Post, Thread.title, Category.name).join(Thread, Post.thread_id == Thread.id)
        .join(Category, Thread.category_id == Category.id)
        .where(Post.author_id == user.id).order_by(Post.created_at, Post.id)).all()
    revisions = db.session.execute(
        select(PostRevision.post_id, PostRevision.body, PostRevision.content_note, PostRevision.edited_by_id,
               PostRevision.created_at).join(Post, PostRevision.post_id == Post.id)
        .where(Post.author_id == user.id).order_by(PostRevision.created_at, PostRevision.id)).all()
    earlier: dict[int, list[dict]] = {}
    for post_id, body, note, editor_id, created_at in revisions:
        earlier.setdefault(post_id, []).append({
            "words": body, "content_note": note, "replaced_at": iso_or_none(created_at),
            "edited_by": "you" if editor_id == user.id else "a moderator" if editor_id else "unknown"})
    post_author = aliased(Post)
    edited_for_others = db.session.scalar(
        select(func.count()).select_from(PostRevision).join(post_author, PostRevision.post_id == post_author.id)
        .where(PostRevision.edited_by_id == user.id,
               (post_author.author_id != user.id) | post_author.author_id.is_(None)))
    hidden_for_others = db.session.scalar(
        select(func.count()).select_from(Post).where(Post.hidden_by_id == user.id,
                                                     (Post.author_id != user.id) | Post.author_id.is_(None)))
    latest = db.session.scalar(select(func.count()).select_from(Thread).where(Thread.last_post_author_id == user.id))
    data = {
        "threads_you_started": [{"title": title, "category": category, "started_at": iso_or_none(created_at)}
                                for title, category, created_at in threads],
        "posts": [{
            "thread": title, "category": category, "number_in_thread": post.number, "words": post.body,
            "content_note": post.content_note, "state": STATE_WORDS.get(post.state, post.state),
            "written_at": iso_or_none(post.created_at), "edited_at": iso_or_none(post.edited_at),
            "hidden_at": iso_or_none(post.hidden_at), "why_hidden": post.hidden_reason or None,
            "deleted_at": iso_or_none(post.deleted_at), "earlier_versions": earlier.get(post.id, [])}
            for post, title, category in posts],
        "threads_where_yours_is_the_latest_post": latest,
    }
    if edited_for_others or hidden_for_others:
        data["your_work_as_a_moderator"] = {"other_members_posts_you_edited": edited_for_others,
                                            "other_members_posts_you_hid": hidden_for_others}
    return data


def export_activity(user: User) -> dict:
    """Reactions they gave, threads and categories they watch, posts they bookmarked, and how far they have read
    each thread (named by thread, never by another member's words)."""
    reactions = db.session.execute(
        select(Reaction.kind, Reaction.created_at, Thread.title, Post.number)
        .join(Post, Reaction.post_id == Post.id).join(Thread, Post.thread_id == Thread.id)
        .where(Reaction.user_id == user.id).order_by(Reaction.created_at)).all()
    watched_thread, watched_category = aliased(Thread), aliased(Category)
    watches = db.session.execute(
        select(watched_thread.title, watched_category.name, Watch.created_at)
        .outerjoin(watched_thread, Watch.thread_id == watched_thread.id)
        .outerjoin(watched_category, Watch.category_id == watched_category.id)
        .where(Watch.user_id == user.id).order_by(Watch.created_at, Watch.id)).all()
    bookmarks = db.session.execute(
        select(Thread.title, Post.number, Bookmark.created_at).join(Post, Bookmark.post_id == Post.id)
        .join(Thread, Post.thread_id == Thread.id).where(Bookmark.user_id == user.id)
        .order_by(Bookmark.created_at)).all()
    reads = db.session.execute(
        select(Thread.title, ThreadRead.last_read_number, ThreadRead.updated_at)
        .join(Thread, ThreadRead.thread_id == Thread.id).where(ThreadRead.user_id == user.id)
        .order_by(ThreadRead.updated_at)).all()
    return {
        "reactions": [{"reaction": REACTIONS.get(kind, kind), "thread": title, "post_number": number,
                       "given_at": iso_or_none(created_at)} for kind, created_at, title, number in reactions],
        "watching": [{"thread": thread, "category": category, "since": iso_or_none(created_at)}
                     for thread, category, created_at in watches],
        "bookmarks": [{"thread": title, "post_number": number, "saved_at": iso_or_none(created_at)}
                      for title, number, created_at in bookmarks],
        "threads_read": [{"thread": title, "read_up_to_post": number, "last_read_at": iso_or_none(updated_at)}
                         for title, number, updated_at in reads],
    }


def erase_posts(user: User, erasure: Erasure) -> None:
    """Earlier versions of their posts go either way. Kept: their threads and posts stay, signed "a former member"
    (the ON DELETE rules empty the author). Deleted: a thread only they wrote in goes; in any other thread their
    posts become "deleted by its author" placeholders with no words left, so others' replies keep their place."""
    theirs = Post.author_id == user.id
    db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_(select(Post.id).where(theirs))))
    if erasure.keep_writing:
        return
    someone_else_wrote = exists(select(Post.id).where(Post.thread_id == Thread.id,
                                                      or_(Post.author_id != user.id, Post.author_id.is_(None))))
    only_theirs = list(db.session.scalars(select(Thread.id).where(Thread.author_id == user.id, ~someone_else_wrote)))
    categories = set(db.session.scalars(select(Thread.category_id).where(Thread.id.in_(only_theirs))))
    threads: dict[int, Thread] = {}
    for post in db.session.scalars(select(Post).where(theirs)):
        close_open_item(REVIEW_KIND, post.id, None, "erased")
        if post.thread_id in only_theirs:
            continue
        post.body = post.body_html = post.content_note = ""
        post.deleted_at = post.deleted_at or utcnow()
        post.hidden_by_id = None  # the placeholder then says "deleted by its author"
        if post.state in ("visible", "hidden"):
            post.state = "deleted"
        threads[post.thread_id] = post.thread
    db.session.flush()
    delete_rows(Thread.__table__, Thread.__table__.c.id.in_(only_theirs))
    for thread in threads.values():
        refresh_thread_counters(thread)
        categories.add(thread.category_id)
    for category in db.session.scalars(select(Category).where(Category.id.in_(categories))):
        refresh_category_counters(category)
