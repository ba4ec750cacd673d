"""A member's membership (one per account) and the history of every change to it."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from community.accounts.models import User
from community.extensions import UTCDateTime, db, utcnow

SOURCES = ("stripe", "complimentary", "gift")
# Stripe's subscription statuses that keep access while Stripe still expects payment (DESIGN.md).
PAID_STATUSES = ("active", "trialing", "past_due")


class Membership(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    # For stripe: Stripe's subscription status. For complimentary and gift: "active" or "revoked".
    status: Mapped[str] = mapped_column(String(30))
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), index=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # Loaded with the user in one query, so checking access never costs a query of its own.
    user: Mapped[User] = relationship(backref=backref("membership", uselist=False, lazy="joined"))

    def gives_access(self, now: datetime) -> bool:
        """DESIGN.md's rule for a membership (staff have access whatever their membership says)."""
        if self.source == "stripe":
            if self.status in PAID_STATUSES:
                return True
            # A cancelled subscription keeps access until the period already paid for ends.
            return self.status == "canceled" and self.current_period_end is not None and now < self.current_period_end
        return self.status == "active" and (self.expires_at is None or now < self.expires_at)

    @property
    def state(self) -> str:
        return f"{self.source} {self.status}"


class MembershipChange(db.Model):
    """One change of a member's status: from, to, why, when, and who made it (None: Stripe or the system)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str] = mapped_column(String(60))
    to_state: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
