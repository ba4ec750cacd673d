"""Forum posts as a kind of content moderation looks after: how one shows in the review queue, and what hiding,
restoring, approving, declining, editing and deleting one means for the forums (counters kept right). Registered
with moderation when the app starts (community/forums/__init__.py); nothing here commits (moderation does).

A post's states map onto moderation's words: "visible", "hidden" and "deleted" as they are; a post waiting for a
moderator is "pending". Two combinations keep the forums' state "pending", so that nobody else ever sees them
and the thread of a held first post stays unseen: declined (hidden_at set: the author sees the reason; moderation
sees "hidden", so restoring it on appeal publishes it) and deleted while it waited (deleted_at set)."""

from collections.abc import Callable, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from community.extensions import db, utcnow
from community.moderation import registry
from community.moderation.services import ModerationError
from community.permissions import has_member_access, is_moderator

from .models import Post, PostRevision, Thread
from .services import (
    REVIEW_KIND,
    ForumError,
    _clean_body,
    can_see_thread,
    refresh_category_counters,
    refresh_thread_counters,
    render_post,
    visible_posts,
)


def moderation_state(post: Post) -> str:
    """The post's state in moderation's words (registry.Content.state)."""
    if post.deleted_at is not None:
        return "deleted"
    if post.state == "pending" and post.hidden_at is not None:
        return "hidden"
    return post.state


def _posts(ids: Iterable[int]) -> list[Post]:
    """The posts with their threads and categories, in one query."""
    ids = list(ids)
    if not ids:
        return []
    return list(db.session.scalars(select(Post).join(Post.thread).join(Thread.category)
                                   .options(contains_eager(Post.thread).contains_eager(Thread.category))
                                   .where(Post.id.in_(ids))))


def _post(post_id: int) -> Post:
    post = next(iter(_posts([post_id])), None)
    if post is None:
        raise ModerationError("We could not find that post. It may have been erased.")
    return post


def load_many(ids: Iterable[int], link: Callable[[Post], str]) -> dict[int, registry.Content]:
    """The posts as moderators see them, in one query; `link` gives a post's lasting address (/forums/p/<id>)."""
    found = {}
    for post in _posts(ids):
        thread = post.thread
        title = f"New thread “{thread.title}”" if post.number == 1 else f"Reply in “{thread.title}”"
        found[post.id] = registry.Content(
            kind=REVIEW_KIND, id=post.id, author_id=post.author_id, title=title, html=post.body_html,
            text=post.body, context=f"Forums › {thread.category.name}",
            url=link(post), state=moderation_state(post),
            created_at=post.created_at, hidden_reason=post.hidden_reason or "")
    return found


def can_see(user, post_id: int) -> bool:
    """A member who may open the post's thread and sees the post there in full (so may flag it)."""
    if not has_member_access(user):
        return False
    post = db.session.scalar(select(Post).join(Post.thread).join(Thread.category)
                             .options(contains_eager(Post.thread).contains_eager(Thread.category))
                             .where(Post.id == post_id, visible_posts(user)))
    if post is None or post.deleted_at is not None or post.state == "deleted":
        return False
    if post.state == "hidden" and not is_moderator(user):
        return False
    return can_see_thread(user, post.thread)


def _recount(post: Post) -> None:
    refresh_thread_counters(post.thread)
    refresh_category_counters(post.thread.category)


def hide(post_id: int, moderator, reason: str) -> None:
    """Others see a placeholder; the author sees the reason. A held post is declined instead (a placeholder would
    show others a post, and perhaps a thread, they never saw)."""
    post = _post(post_id)
    if post.state == "pending":
        decline(post_id, moderator, reason)
        return
    post.state = "hidden"
    post.hidden_at, post.hidden_by_id, post.hidden_reason = utcnow(), moderator.id if moderator else None, reason
    _recount(post)


def restore(post_id: int, moderator) -> None:
    """Back up for everyone: a hidden post, a declined one (published now), or one a moderator deleted. A post its
    author deleted stays deleted: that was their choice."""
    post = _post(post_id)
    if post.deleted_at is not None and post.hidden_by_id is None:
        raise ModerationError("Its author deleted this post, so it cannot be put back.")
    post.state, post.deleted_at = "visible", None
    post.hidden_at, post.hidden_by_id, post.hidden_reason = None, None, ""
    _recount(post)


def delete(post_id: int, moderator) -> None:
    """Removed by a moderator: others see "This post was removed by a moderator." (hidden_by_id tells it from an
    author's own deletion). A held post keeps its "pending" state, so it never shows as a placeholder."""
    post = _post(post_id)
    post.deleted_at, post.hidden_by_id = utcnow(), moderator.id
    if post.state != "pending":
        post.state = "deleted"
    _recount(post)


def approve(post_id: int, moderator) -> bool:
    """Publish a held post (and its thread, for a first post). False, changing nothing, if its author deleted it
    while it waited."""
    post = _post(post_id)
    if post.state != "pending" or post.deleted_at is not None:
        return False
    post.state = "visible"
    post.hidden_at, post.hidden_by_id, post.hidden_reason = None, None, ""
    _recount(post)
    return True


def decline(post_id: int, moderator, reason: str) -> None:
    """Not approved: the post stays "pending" (nobody else ever sees it) and its author sees why."""
    post = _post(post_id)
    post.hidden_at, post.hidden_by_id, post.hidden_reason = utcnow(), moderator.id if moderator else None, reason
    if post.state != "pending":
        post.state = "pending"
        _recount(post)


def edit(post_id: int, moderator, text: str) -> None:
    """A moderator changes the words (the old ones kept as a revision). Not reviewed again."""
    post = _post(post_id)
    try:
        body = _clean_body(text)
    except ForumError as refusal:
        raise ModerationError(refusal.message, "text") from None
    db.session.add(PostRevision(post_id=post.id, body=post.body, content_note=post.content_note,
                                edited_by_id=moderator.id))
    post.body, post.body_html, post.edited_at = body, render_post(body), utcnow()


def published_count(author_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Post).where(
        Post.author_id == author_id, Post.state == "visible")) or 0


def register(after_published: Callable[[int], None], link: Callable[[Post], str]) -> None:
    """Tell moderation about forum posts. `after_published` and `link` are notify.post_published and
    notify.post_path (notify is a layer above this module, so it hands them over)."""
    registry.register(registry.ContentKind(
        name=REVIEW_KIND, label="Forum post", load_many=lambda ids: load_many(ids, link), can_see=can_see,
        hide=hide, restore=restore, delete=delete, approve=approve, decline=decline, edit=edit,
        after_published=after_published, published_count=published_count))
