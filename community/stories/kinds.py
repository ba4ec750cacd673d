"""Stories as a kind of content moderation looks after: a story shared with the public waits in the review queue,
where a moderator approves it, asks its author for a change with a note, or declines it with a reason. Registered
with moderation when the app starts (community/stories/__init__.py); nothing here commits (moderation does, with
its audit entry).

A story's states in moderation's words: "pending" while it waits for a moderator; "visible" while the public reads
an approved copy; "hidden" otherwise (declined, sent back for changes, withdrawn, or never public). The queue shows
moderators the author (they may know who wrote an anonymous story); nothing here reaches anyone else."""

from collections.abc import Iterable

from flask import has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from community.extensions import db, utcnow
from community.moderation import registry
from community.moderation.services import ModerationError
from community.permissions import has_member_access

from .models import ATTRIBUTIONS, AUDIENCES, Story
from .services import (
    REVIEW_KIND,
    StoryError,
    _ask_for_changes,
    _decline,
    _publish,
    can_read,
    is_public,
)

TAKEN_DOWN = "A moderator took it off the public pages."


def moderation_state(story: Story) -> str:
    if story.audience == "public" and story.review_state == "pending":
        return "pending"
    return "visible" if is_public(story) else "hidden"


def _stories(ids: Iterable[int]) -> list[Story]:
    ids = list(ids)
    if not ids:
        return []
    return list(db.session.scalars(select(Story).options(joinedload(Story.author)).where(Story.id.in_(ids))))


def _story(story_id: int) -> Story:
    story = db.session.get(Story, story_id)
    if story is None:
        raise ModerationError("We could not find that story. Its author may have deleted it.")
    return story


def _address(story: Story) -> str:
    return url_for("stories.read", story_id=story.id) if has_request_context() else f"/stories/{story.id}"


def load_many(ids: Iterable[int]) -> dict[int, registry.Content]:
    found = {}
    for story in _stories(ids):
        context = f"Stories › {AUDIENCES[story.audience]}, attributed as {ATTRIBUTIONS[story.attribution].lower()}"
        if story.published_html is not None and story.review_state == "pending":
            context += " (an edit of a published story: the approved version stays up meanwhile)"
        found[story.id] = registry.Content(
            kind=REVIEW_KIND, id=story.id, author_id=story.author_id, title=f"Story “{story.title}”",
            html=story.body_html, text=story.body, context=context, url=_address(story),
            state=moderation_state(story), created_at=story.created_at,
            hidden_reason=story.review_note if story.review_state in ("declined", "changes_requested") else "")
    return found


def can_see(user, story_id: int) -> bool:
    """A member who may read the story (so may flag it): members' and public stories only."""
    story = db.session.get(Story, story_id)
    return (story is not None and story.audience != "private" and has_member_access(user)
            and can_read(user, story))


def _refused(refusal: StoryError) -> ModerationError:
    return ModerationError(refusal.message, "reason")


def approve(story_id: int, moderator) -> bool:
    """Publish the current words; False when the author withdrew it or made it private while it waited."""
    return _publish(_story(story_id), utcnow())


def request_changes(story_id: int, moderator, note: str) -> None:
    story = _story(story_id)
    try:
        _ask_for_changes(story, note)
    except StoryError as refusal:
        raise _refused(refusal) from None


def decline(story_id: int, moderator, reason: str) -> None:
    story = _story(story_id)
    try:
        _decline(story, reason)
    except StoryError as refusal:
        raise _refused(refusal) from None


def hide(story_id: int, moderator, reason: str) -> None:
    """Off the public pages: the approved copy comes down and the author sees why. A story waiting is declined.
    The author's choice of audience stays, so members still read it (only the public copy is moderated)."""
    story = _story(story_id)
    story.published_title = story.published_html = story.published_summary = None
    story.published_at = None
    story.review_state, story.review_note = "declined", reason or TAKEN_DOWN


def delete(story_id: int, moderator) -> None:
    """Stories are never deleted by moderators (soft-hide): the public copy comes down, as with hide."""
    hide(story_id, moderator, TAKEN_DOWN)


def restore(story_id: int, moderator) -> None:
    """Publish it again (an appeal overturned, a hide undone), only while its author still wants it public."""
    story = _story(story_id)
    if story.audience != "public" or story.withdrawn_at is not None:
        raise ModerationError("Its author has withdrawn this story or made it private, so it cannot be published.")
    story.review_state = "pending"
    _publish(story, utcnow())


def register() -> None:
    registry.register(registry.ContentKind(
        name=REVIEW_KIND, label="Story", load_many=load_many, can_see=can_see, hide=hide, restore=restore,
        delete=delete, approve=approve, request_changes=request_changes, decline=decline))
