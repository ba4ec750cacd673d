"""The account: who a person is on the site, how they sign in, and how they like pages shown."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from community.extensions import UTCDateTime, db, utcnow

ROLES = ("registered", "moderator", "admin")
TEXT_SIZES = ("standard", "large", "largest")
DEFAULT_TIME_ZONE = "Europe/London"
DISPLAY_NAME_MAX = 60
BIO_MAX = 500


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="registered")
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of every session's id: replacing it signs out every other browser (password change, reset).
    login_token: Mapped[str] = mapped_column(String(64), default=new_login_token)
    bio: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIME_ZONE)
    text_size: Mapped[str] = mapped_column(String(10), default="standard")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def get_id(self) -> str:
        return f"{self.id}:{self.login_token}"

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_staff(self) -> bool:
        return self.role in ("moderator", "admin")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
