"""The Leaky Café's tables: the weekly schedule, sessions (one row per held, cancelled or extra café), messages,
reactions, hosts' room restrictions, who is in the room, and reminder choices.

A regular Wednesday café gets its row when first needed (someone opens the room, an admin cancels it), so the
schedule itself is a rule, not thousands of rows."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.accounts.models import User
from community.extensions import UTCDateTime, db, index_reference, utcnow

MESSAGE_KINDS = ("message", "break")
MESSAGE_STATES = ("visible", "hidden", "deleted")
# A small, gentle set: one tap to say "I read you" without typing.
REACTIONS = {"heart": "Sending love", "hug": "Hug", "same": "Same here", "thanks": "Thank you"}
ROOM_RESTRICTIONS = ("muted", "removed")


class CafeSchedule(db.Model):
    """The one weekly rule (row id 1; no row means the defaults in schedule.py). Times are London wall-clock."""

    id: Mapped[int] = mapped_column(primary_key=True)
    start_time: Mapped[str] = mapped_column(String(5))       # "19:00"
    end_time: Mapped[str] = mapped_column(String(5))         # "21:00"
    host_name: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CafeSession(db.Model):
    """One café: a regular Wednesday (given a row when needed), an extra session, or a cancelled date."""

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), unique=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The London date it falls on: a cancellation is of a date, whatever time the schedule says.
    local_date: Mapped[date] = mapped_column(Date, index=True)
    extra: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Shown with the date: why it is cancelled, or what an extra session is for.
    note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    host_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    # Set by hosts while it runs.
    topic: Mapped[str] = mapped_column(String(200), default="", server_default="")
    slow_mode_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Written by a host afterwards for members who could not come (Markdown, rendered when saved).
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    summary_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    summary_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    summary_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


index_reference(CafeSession.summary_by_id)


class CafeMessage(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("cafe_session.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="message")
    body: Mapped[str] = mapped_column(Text)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("cafe_message.id", ondelete="SET NULL"))
    # The sender's own id for this message: a send repeated after a dropped connection saves it only once.
    client_token: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10), default="visible")
    hidden_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Moves on whenever anything about the message changes (reactions, deletion): clients ask for changes since.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    session: Mapped[CafeSession] = relationship()

    __table_args__ = (UniqueConstraint("author_id", "client_token"),
                      Index("ix_cafe_message_session_changed", "session_id", "changed_at"),
                      Index("ix_cafe_message_created", "created_at"))


index_reference(CafeMessage.reply_to_id)
index_reference(CafeMessage.hidden_by_id)


class CafeReaction(db.Model):
    message_id: Mapped[int] = mapped_column(ForeignKey("cafe_message.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CafeRoomRestriction(db.Model):
    """A host muted (may read, not write) or removed (may not come back) a member for one session."""

    session_id: Mapped[int] = mapped_column(ForeignKey("cafe_session.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(10))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


index_reference(CafeRoomRestriction.by_id)


class CafePresence(db.Model):
    """One open socket in the room, on whichever server process holds it. Rows of a process that died are
    ignored once `seen_at` is old (clients refresh it every few seconds)."""

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("cafe_session.id", ondelete="CASCADE"), index=True)
    # The log-in (accounts' user_session row) the socket came from: logging out there closes it.
    login_session_id: Mapped[int | None] = mapped_column(Integer, index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class CafeReminder(db.Model):
    """A member asked for an email on the morning of each café."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The café date last reminded about: claimed with a conditional update, so a second run sends nothing.
    last_sent_for: Mapped[date | None] = mapped_column(Date)
