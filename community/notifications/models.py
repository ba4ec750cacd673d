"""A member's notifications, and how they want to hear about them by email."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.accounts.models import User
from community.extensions import UTCDateTime, db, index_reference, utcnow

EMAIL_MODES = {"off": "No emails", "instant": "An email each time", "daily": "One email a day, with everything"}
DEFAULT_EMAIL_MODE = "daily"


class Notification(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))          # mention, reply, quote, ...
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)                 # plain words: "Sam replied in “Blood patches”"
    url: Mapped[str] = mapped_column(String(300))          # a path on this site
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    # The unread count and "mark all read"; and /notifications, a member's list newest first.
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at", "created_at"),
                      Index("ix_notification_user_listing", "user_id", "created_at", "id"))


index_reference(Notification.actor_id)


class NotificationSettings(db.Model):
    """How a member wants to hear by email; no row means DEFAULT_EMAIL_MODE."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    email_mode: Mapped[str] = mapped_column(String(10), default=DEFAULT_EMAIL_MODE)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
