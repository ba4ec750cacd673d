"""Moderation's tables: the audit log, the review queue (one open item per piece of content or member), flags,
appeals, moderator notes on members, watched words, who is on duty, and moderation's own settings."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.extensions import UTCDateTime, db, index_reference, utcnow


class AuditEntry(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int] = mapped_column()
    # The member the action was about (the author of hidden content, a warned or suspended member): their
    # history for moderators, and whose notice it is (they may appeal it).
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # Once a member erases their account, their ids above become NULL and these hold the pseudonym the log calls
    # them by instead ("Former member 3F9A1C"): the record stays whole without saying who they were.
    actor_label: Mapped[str] = mapped_column(String(40), default="", server_default="")
    subject_label: Mapped[str] = mapped_column(String(40), default="", server_default="")

    actor = relationship("User", foreign_keys=[actor_id])
    subject = relationship("User", foreign_keys=[subject_id])

    # The audit log filtered by action (newest first), and by what it was about (a member's history also matches
    # entries whose target is that member).
    __table_args__ = (Index("ix_audit_entry_action", "action", "id"),
                      Index("ix_audit_entry_target", "target_type", "target_id"))


# Why something is in the queue.
ITEM_REASONS = {
    "flagged": "Flagged by members",
    "held": "Waiting for approval",
    "watched_word": "Watched word",
    "safety": "Safety",
    "appeal": "Appeal",
    "review": "Waiting for review",
}

FLAG_REASONS = {
    "spam": "Spam or advertising",
    "unkind": "Unkind or harassing",
    "misinformation": "Medical misinformation",
    "safety": "Worried about this person’s safety",
    "personal_details": "Personal details shared",
    "other": "Something else",
}


class QueueItem(db.Model):
    """One piece of content (or one member) waiting for a moderator. At most one open item per target: a new
    flag joins it; once closed, the next flag opens a new item (the old ones stay as history)."""

    __tablename__ = "moderation_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int] = mapped_column(Integer)
    # Who wrote the content (or the member flagged), when known: their history is shown beside it.
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    # Safety items (crisis wording, a "worried about their safety" flag) go to the top and alert moderators.
    safety: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What put it here, in a moderator's words: the watched word matched, "a new member's first posts".
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Raised by every change: a moderator's form carries the version it was shown, so a second moderator acting
    # on the same item at once is told it was already handled (nothing is applied twice).
    version: Mapped[int] = mapped_column(Integer, default=1)

    subject = relationship("User", foreign_keys=[subject_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    flags = relationship("Flag", order_by="Flag.id", back_populates="item")

    __table_args__ = (
        Index("uq_moderation_item_open_target", "kind", "target_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        # Every item (open or closed) about one target: the "earlier items" beside an item.
        Index("ix_moderation_item_target", "kind", "target_id"),
    )


index_reference(QueueItem.closed_by_id)


# The queue as moderators read it (services.queue): open items only, safety first, then oldest first, so the page
# reads its first rows in index order however many items were ever closed.
Index("ix_moderation_item_open_queue", QueueItem.safety.desc(), QueueItem.opened_at, QueueItem.id,
      sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'"))


class Flag(db.Model):
    __tablename__ = "moderation_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("moderation_item.id", ondelete="CASCADE"), index=True)
    flagger_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item = relationship(QueueItem, back_populates="flags")
    flagger = relationship("User")

    __table_args__ = (UniqueConstraint("item_id", "flagger_id", name="uq_moderation_flag_once"),)


class Appeal(db.Model):
    """A member asks for a moderator's decision (an AuditEntry about them) to be looked at again. Once per
    decision; decided by a moderator other than the one who acted."""

    __tablename__ = "moderation_appeal"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id", ondelete="CASCADE"), unique=True)
    appellant_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_item.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # "upheld" (the decision stands) or "overturned" (content restored, restriction lifted).
    outcome: Mapped[str] = mapped_column(String(12), default="", server_default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    entry = relationship(AuditEntry)


index_reference(Appeal.item_id)
index_reference(Appeal.decided_by_id)


class MemberNote(db.Model):
    """A moderator's note about a member, seen only by moderators (beside the member's queue items)."""

    __tablename__ = "moderation_member_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author = relationship("User", foreign_keys=[author_id])


index_reference(MemberNote.author_id)


WATCHED_WORD_ACTIONS = {
    "block": "Refuse the post, with a kind explanation",
    "hold": "Hold the post for a moderator",
    "flag": "Post it, and put it in the queue",
    "crisis": "Crisis wording: post it, show the writer where to find help, and alert moderators",
}


class WatchedWord(db.Model):
    __tablename__ = "moderation_watched_word"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(String(100), unique=True)
    action: Mapped[str] = mapped_column(String(10))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


index_reference(WatchedWord.created_by_id)


class OnDuty(db.Model):
    """A moderator who is looking after the community now: safety alerts go to them first."""

    __tablename__ = "moderation_on_duty"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModerationSetting(db.Model):
    __tablename__ = "moderation_setting"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
