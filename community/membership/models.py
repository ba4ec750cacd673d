"""A member's membership (one per account) and the history of every change to it."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from community.accounts.models import User
from community.extensions import UTCDateTime, db, index_reference, utcnow

SOURCES = ("stripe", "complimentary", "gift")
# Stripe's subscription statuses that keep access while Stripe still expects payment (DESIGN.md).
PAID_STATUSES = ("active", "trialing", "past_due")


def subscription_gives_access(status: str, current_period_end: datetime | None, now: datetime) -> bool:
    """The one mapping from a Stripe subscription's status to access.

    active, trialing, past_due (Stripe is retrying the card): access. canceled: access until the period already
    paid for ends. unpaid, incomplete, incomplete_expired, paused and anything new: none.
    """
    if status in PAID_STATUSES:
        return True
    return status == "canceled" and current_period_end is not None and now < current_period_end


class Membership(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    # For stripe: Stripe's subscription status. For complimentary and gift: "active" or "revoked".
    status: Mapped[str] = mapped_column(String(30))
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # A cancelled subscription stays "active" in Stripe until its paid year ends: then it is not renewing.
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What the next renewal will take, as Stripe's price says (for the reminder email).
    renewal_amount_pence: Mapped[int | None] = mapped_column(Integer)
    # The period end the 14-day renewal reminder was sent for, so `flask billing remind` sends each one once.
    reminded_for_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The period end the "membership ended" email was sent for (the webhook's or, failing that, the cron's).
    ended_notice_for_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # Loaded with the user in one query, so checking access never costs a query of its own.
    user: Mapped[User] = relationship(backref=backref("membership", uselist=False, lazy="joined"))

    def gives_access(self, now: datetime) -> bool:
        """DESIGN.md's rule for a membership (staff have access whatever their membership says)."""
        if self.source == "stripe":
            return subscription_gives_access(self.status, self.current_period_end, now)
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


index_reference(MembershipChange.actor_id)


class StripeCustomer(db.Model):
    """A person's customer in Stripe (made when they first choose to join), and their open Checkout page."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255))
    checkout_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


EVENT_RESULTS = ("processing", "processed", "ignored", "failed")


class StripeEvent(db.Model):
    """A webhook event, stored once by Stripe's id in the same transaction as its effect (or kept as failed)."""

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    result: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    stripe_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    user: Mapped[User | None] = relationship()


class MembershipPayment(db.Model):
    """A paid invoice: the record a Gift Aid claim is built from."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # None once its member erased their account while a Gift Aid declaration covered it: HMRC expects the
    # payment and the declaration kept for six years, so they stay, tied together only by donor_reference.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    donor_reference: Mapped[str | None] = mapped_column(String(40), index=True)
    invoice_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount_pence: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    user: Mapped[User | None] = relationship()


class GiftAidDeclaration(db.Model):
    """A member's Gift Aid declaration, in the words of a given version, until they cancel it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # None (with donor_reference set) once its member erased their account: see MembershipPayment.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    donor_reference: Mapped[str | None] = mapped_column(String(40), index=True)
    wording_version: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(20), default="")
    first_name: Mapped[str] = mapped_column(String(35))
    last_name: Mapped[str] = mapped_column(String(35))
    house: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(Text)
    postcode: Mapped[str] = mapped_column(String(10))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User | None] = relationship()


class GiftCode(db.Model):
    """A year's membership an admin gives away as a code; only a hash of the code is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(8))  # the code's last characters, to tell codes apart
    note: Mapped[str] = mapped_column(String(200), default="")
    months: Mapped[int] = mapped_column(Integer, default=12)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    redeem_by: Mapped[datetime] = mapped_column(UTCDateTime())
    redeemed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    redeemed_by: Mapped[User | None] = relationship(foreign_keys=[redeemed_by_id])


index_reference(GiftCode.created_by_id)
