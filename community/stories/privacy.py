"""What stories hold about a member, for their data export: each story they wrote, who may read it and how it is
signed, where it stands with the moderators, and the record of every consent they gave to publish it (kept, as
the law expects, even for a story they have since deleted)."""

from sqlalchemy import select

from community.accounts.models import User
from community.dates import iso_or_none
from community.extensions import db
from community.moderation.services import close_open_item
from community.privacy.registry import Erasure

from .models import ATTRIBUTIONS, AUDIENCES, PROCEDURES, Story, StoryConsent
from .services import REVIEW_KIND

REVIEW_WORDS = {"none": "Not shared with the public", "pending": "Waiting for a moderator",
                "changes_requested": "A moderator asked for changes", "approved": "Approved",
                "declined": "Declined"}


def _consent(consent: StoryConsent) -> dict:
    return {"consent_text_version": consent.version, "what_you_agreed_to": consent.scope,
            "given_at": iso_or_none(consent.given_at), "withdrawn_at": iso_or_none(consent.withdrawn_at)}


def export_member_data(user: User) -> dict:
    stories = db.session.scalars(select(Story).where(Story.author_id == user.id)
                                 .order_by(Story.created_at, Story.id)).all()
    consents = db.session.scalars(select(StoryConsent).where(StoryConsent.user_id == user.id)
                                  .order_by(StoryConsent.given_at, StoryConsent.id)).all()
    by_story: dict[int | None, list[dict]] = {}
    ours = {story.id for story in stories}
    for consent in consents:
        by_story.setdefault(consent.story_id if consent.story_id in ours else None, []).append(_consent(consent))
    return {
        "stories": [{
            "title": story.title, "story": story.body, "what_helped": story.what_helped,
            "how_the_leak_started": PROCEDURES.get(story.procedure, story.procedure), "year": story.year,
            "who_can_read_it": AUDIENCES.get(story.audience, story.audience),
            "signed_as": ATTRIBUTIONS.get(story.attribution, story.attribution),
            "with_the_moderators": REVIEW_WORDS.get(story.review_state, story.review_state),
            "moderators_note_to_you": story.review_note or None,
            "published_at": iso_or_none(story.published_at), "withdrawn_at": iso_or_none(story.withdrawn_at),
            "written_at": iso_or_none(story.created_at), "updated_at": iso_or_none(story.updated_at),
            "consent_records": by_story.get(story.id, [])} for story in stories],
        "consent_records_for_stories_you_deleted": by_story.get(None, []),
    }


def erase_member_data(user: User, erasure: Erasure) -> None:
    """Their stories go with the account, published ones too (ON DELETE rules); each one still waiting for a
    moderator leaves the queue. The consent records stay, without their name or story: they show a story was
    published only with consent."""
    for story_id in db.session.scalars(select(Story.id).where(Story.author_id == user.id)):
        close_open_item(REVIEW_KIND, story_id, None, "erased")
