"""Membership rules: granting and revoking complimentary access, applying subscription states, history."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from community.accounts.models import User
from community.dates import day
from community.extensions import db, utcnow
from community.moderation.services import record_action
from community.permissions import has_member_access
from community.refusals import Refusal

from .models import SOURCES, Membership, MembershipChange

NO_MEMBERSHIP = "none"


class MembershipError(Refusal):
    """A membership change we refuse."""


def _state(membership: Membership | None) -> str:
    return membership.state if membership else NO_MEMBERSHIP


def _record_change(user: User, before: str, reason: str, actor: User | None) -> None:
    after = _state(user.membership)
    if after != before:
        db.session.add(MembershipChange(user_id=user.id, from_state=before, to_state=after, reason=reason,
                                        actor_id=actor.id if actor else None))


def end_of_day_london(last_day: date) -> datetime:
    """An expiry typed as a date means the end of that day in the UK."""
    return datetime.combine(last_day, time(23, 59, 59), ZoneInfo("Europe/London")).astimezone(UTC)


def grant_complimentary(actor: User | None, user: User, expires_on: date | None, reason: str,
                        source: str = "complimentary") -> Membership:
    """Give free membership (a hardship waiver or a gift), optionally until the end of a given day."""
    if source not in SOURCES or source == "stripe":
        raise MembershipError("Choose complimentary or gift.", "source")
    if expires_on is not None and expires_on < utcnow().date():
        raise MembershipError("The expiry date must be today or later.", "expires_on")
    if not reason.strip():
        raise MembershipError("Say why, for example \"hardship waiver\". Only staff see this.", "reason")
    membership = user.membership
    if membership is not None and membership.source == "stripe" and membership.gives_access(utcnow()):
        raise MembershipError("This person already pays for membership, so there is nothing to grant.")
    before = _state(membership)
    if membership is None:
        membership = Membership(user=user)
        db.session.add(membership)
    membership.source = source
    membership.status = "active"
    membership.expires_at = end_of_day_london(expires_on) if expires_on else None
    membership.current_period_end = None
    _record_change(user, before, reason.strip(), actor)
    record_action(actor, f"grant_{source}_membership", "user", user.id, reason=reason.strip(),
                  detail=f"until {expires_on.isoformat()}" if expires_on else "no expiry")
    db.session.commit()
    return membership


def revoke_complimentary(actor: User | None, user: User, reason: str) -> None:
    """End a complimentary or gift membership now."""
    membership = user.membership
    if membership is None or membership.source == "stripe" or membership.status != "active":
        raise MembershipError("This person has no complimentary or gift membership to revoke.")
    if not reason.strip():
        raise MembershipError("Say why you are revoking it. Only staff see this.", "reason")
    before = _state(membership)
    membership.status = "revoked"
    _record_change(user, before, reason.strip(), actor)
    record_action(actor, "revoke_membership", "user", user.id, reason=reason.strip())
    db.session.commit()


def apply_subscription_state(user: User, status: str, current_period_end: datetime | None, reason: str,
                             customer_id: str | None = None, subscription_id: str | None = None) -> Membership:
    """Set a Stripe-backed membership to the subscription's state as Stripe reports it (webhooks, demo)."""
    membership = user.membership
    before = _state(membership)
    if membership is None:
        membership = Membership(user=user)
        db.session.add(membership)
    membership.source = "stripe"
    membership.status = status
    membership.current_period_end = current_period_end
    membership.expires_at = None
    membership.stripe_customer_id = customer_id or membership.stripe_customer_id
    membership.stripe_subscription_id = subscription_id or membership.stripe_subscription_id
    _record_change(user, before, reason, None)
    db.session.commit()
    return membership


def history(user: User) -> list[MembershipChange]:
    return list(db.session.scalars(
        select(MembershipChange).options(joinedload(MembershipChange.actor))
        .where(MembershipChange.user_id == user.id).order_by(MembershipChange.created_at.desc(),
                                                             MembershipChange.id.desc())))


@dataclass(frozen=True)
class MembershipSummary:
    """What to tell a person about their membership, in plain words."""

    has_access: bool
    headline: str
    detail: str = ""
    needs_card_update: bool = False


def summarise(user: User) -> MembershipSummary:
    """Plain words for the membership page and the admin screens (dates in the member's time zone)."""
    if user.is_authenticated and user.is_staff:
        return MembershipSummary(True, f"As a {user.role} you have full member access.")
    membership = getattr(user, "membership", None)
    if user.is_authenticated and not user.is_verified:
        return MembershipSummary(False, "Confirm your email address first.",
                                 "Open the link we emailed you. Membership starts once your address is confirmed.")
    if membership is None:
        return MembershipSummary(False, "You are not a member yet.")
    access = has_member_access(user)
    ends = membership.expires_at or membership.current_period_end
    until = f" until {day(ends, user.time_zone)}" if ends else ""
    if membership.source == "stripe":
        if membership.status == "past_due":
            return MembershipSummary(True, "You are a member.", "Your last payment did not go through. Please "
                                     "update your card so your membership carries on.", needs_card_update=True)
        if membership.status == "canceled" and access:
            return MembershipSummary(True, f"You are a member{until}.", "Your membership will not renew.")
        if access:
            renews = f"It renews on {day(ends, user.time_zone)}." if ends else ""
            return MembershipSummary(True, "You are a member.", renews)
        return MembershipSummary(False, "Your membership has ended.")
    kind = "gift" if membership.source == "gift" else "complimentary"
    if access:
        return MembershipSummary(True, f"You have a {kind} membership{until}.")
    return MembershipSummary(False, f"Your {kind} membership has ended.")


MEMBERS_PER_PAGE = 50
# Far beyond any real list, and small enough that the offset fits the databases' 64-bit integers.
MAX_MEMBERS_PAGE = 100_000


def search_members(query: str, page: int):
    """Accounts matching part of an email or display name, newest first, a page at a time.

    The query is matched literally (`%` and `_` are not wildcards); a page number out of range means the
    nearest of the first page and MAX_MEMBERS_PAGE."""
    statement = select(User).order_by(User.created_at.desc(), User.id.desc())
    if query:
        text = query.lower()
        statement = statement.where(db.or_(db.func.lower(User.email).contains(text, autoescape=True),
                                           db.func.lower(User.display_name).contains(text, autoescape=True)))
    page = min(max(page, 1), MAX_MEMBERS_PAGE)
    return db.paginate(statement, page=page, per_page=MEMBERS_PER_PAGE, error_out=False)
