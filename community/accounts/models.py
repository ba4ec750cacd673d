"""The account: who a person is on the site, how they sign in (sessions, two-factor), and how they like pages shown."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.extensions import UTCDateTime, db, utcnow
from community.permissions import STAFF_ROLES

ROLES = ("registered", "moderator", "admin")
TEXT_SIZES = ("standard", "large", "largest")
DEFAULT_TIME_ZONE = "Europe/London"
DISPLAY_NAME_MAX = 60
BIO_MAX = 500


def new_credential_stamp() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="registered")
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Replaced whenever a credential changes (password, email); every emailed link carries a fingerprint of it,
    # so such a change spends every link sent before it.
    credential_stamp: Mapped[str] = mapped_column(String(64), default=new_credential_stamp)
    # Two-factor sign-in (TOTP): on once two_factor_enabled_at is set. The last time step used is kept so
    # that no code works twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    bio: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIME_ZONE)
    text_size: Mapped[str] = mapped_column(String(10), default="standard")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Kept up to date by community.notifications, so the header's count costs no query of its own.
    unread_notifications: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set only by community.moderation: "silenced" (may read, not write), "suspended" (only their own data) or
    # "banned" (suspended with no end). It ends by itself at restricted_until; permissions.py reads it.
    restriction: Mapped[str | None] = mapped_column(String(10))
    restricted_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    restriction_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    # Set on the object loaded for one browser's session (never stored): its random id and its row.
    session_token = None
    current_session = None

    # The admins' members list, newest first (membership.services.search_members), read in index order.
    __table_args__ = (Index("ix_user_newest", "created_at", "id"),)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember cookies: only the session's random id."""
        if not self.session_token:
            raise RuntimeError("Log users in through accounts.sessions.start_session.")
        return self.session_token

    @property
    def has_two_factor(self) -> bool:
        return self.two_factor_enabled_at is not None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class UserSession(db.Model):
    """One log-in on one browser. The cookie carries a random id; only its digest is stored here."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remembered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # When the person last proved who they are here (log-in, or "confirm it's you"): opens "sudo mode".
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    device: Mapped[str] = mapped_column(String(80), default="")
    # Shown to the owner in their list of devices; gone with the row when the session ends.
    ip_address: Mapped[str | None] = mapped_column(String(45))
    # A new authenticator being set up in this browser, until its first code confirms it.
    pending_totp_secret: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class RecoveryCode(db.Model):
    """A one-time code for signing in without the authenticator; stored as a digest, spent once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
