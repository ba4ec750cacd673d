"""Stories: what a member writes about their leak, who may read it, and the record of their consent to publish.

A story has the words its author is working on (title, body…) and, once a moderator has approved it for the
public, a separate approved copy (`published_*`): the public always reads the approved copy, so an edit waits for
review while the approved version stays up."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.accounts.models import User
from community.extensions import UTCDateTime, db, utcnow

AUDIENCES = {"private": "Only me", "members": "Members", "public": "Everyone (the public)"}
ATTRIBUTIONS = {"name": "My display name", "initials": "My initials", "anonymous": "Anonymous"}
PROCEDURES = {"": "Prefer not to say", "lumbar_puncture": "A lumbar puncture", "epidural": "An epidural",
              "spinal_surgery": "Spinal surgery", "other": "Something else"}
# Where a story stands with the moderators, for the public audience only.
REVIEW_STATES = ("none", "pending", "changes_requested", "approved", "declined")


class Story(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Erasing an account deletes its stories (issue 13); the consent record is kept pseudonymously.
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    # Rendered and sanitised when saved, as members' words (community.markdown), never on reading.
    body_html: Mapped[str] = mapped_column(Text, default="")
    procedure: Mapped[str] = mapped_column(String(20), default="", server_default="")
    year: Mapped[int | None] = mapped_column(Integer)
    what_helped: Mapped[str] = mapped_column(Text, default="", server_default="")
    audience: Mapped[str] = mapped_column(String(10), default="private", server_default="private")
    attribution: Mapped[str] = mapped_column(String(10), default="anonymous", server_default="anonymous")
    review_state: Mapped[str] = mapped_column(String(20), default="none", server_default="none")
    # The moderator's words to the author: the change asked for, or why it was declined.
    review_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The approved copy the public reads (None until first approved, and again after withdrawal).
    published_title: Mapped[str | None] = mapped_column(String(150))
    published_html: Mapped[str | None] = mapped_column(Text)
    published_summary: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The random token of the form that started it: the same new-story form sent twice makes one story.
    form_token: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()

    # /stories: the public's list by publication date, members' by last update (services.stories_for).
    __table_args__ = (Index("ix_story_public_listing", "audience", "published_at"),
                      Index("ix_story_members_listing", "updated_at", "id"),
                      UniqueConstraint("author_id", "form_token"))


class StoryConsent(db.Model):
    """A member's consent to publish one story: the exact consent text's version, what it covered, when; and when
    it was withdrawn. Kept when the story is withdrawn (and, without the author's id, when it is deleted)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("story.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    version: Mapped[str] = mapped_column(String(20))
    # What they agreed to: "public, attributed by initials".
    scope: Mapped[str] = mapped_column(String(100))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
