"""Membership rules: granting and revoking complimentary access, applying subscription states, history."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from community.accounts.models import User
from community.after_response import run_after_response
from community.csv_safe import csv_text
from community.dates import day
from community.extensions import db, utcnow
from community.mail import external_url, send_email
from community.moderation.services import record_action
from community.permissions import has_member_access
from community.refusals import Refusal

from .models import PAID_STATUSES, SOURCES, Membership, MembershipChange

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
                             subscription_id: str | None = None, cancel_at_period_end: bool = False,
                             renewal_amount_pence: int | None = None, commit: bool = True) -> Membership:
    """Set a Stripe-backed membership to the subscription's state as Stripe reports it (webhooks, demo).

    The one way a Stripe state changes membership. The member is emailed about what changed for them (welcome,
    payment failed, ended) once the change is committed; with commit=False the caller commits, then calls
    `send_membership_notices` with what `pending_notices` returns.
    """
    now = utcnow()
    membership = user.membership
    before = _state(membership)
    had_access = membership is not None and membership.gives_access(now)
    was_past_due = membership is not None and membership.source == "stripe" and membership.status == "past_due"
    if membership is None:
        membership = Membership(user=user)
        db.session.add(membership)
    membership.source = "stripe"
    membership.status = status
    membership.current_period_end = current_period_end
    membership.expires_at = None
    membership.cancel_at_period_end = cancel_at_period_end
    membership.renewal_amount_pence = renewal_amount_pence or membership.renewal_amount_pence
    membership.stripe_subscription_id = subscription_id or membership.stripe_subscription_id
    has_access = membership.gives_access(now)
    notices = []
    if has_access and not had_access:
        notices.append("welcome")
    if status == "past_due" and not was_past_due:
        notices.append("payment_failed")
    if had_access and not has_access:
        notices.append("ended")
        membership.ended_notice_for_period_end = current_period_end
    _record_change(user, before, reason, None)
    g.setdefault("membership_notices", {}).setdefault(user.id, []).extend(notices)
    if commit:
        db.session.commit()
        send_membership_notices(pending_notices())
    return membership


def pending_notices() -> dict[int, list[str]]:
    """The notices (by user id) of the changes made in this request or command, to send once committed."""
    return g.pop("membership_notices", {})


def forget_pending_notices() -> None:
    """The changes were rolled back: nobody is told about them."""
    g.pop("membership_notices", None)


NOTICE_SUBJECTS = {
    "welcome": "Welcome to Target CSF Leaks",
    "payment_failed": "Your membership payment did not go through",
    "ended": "Your Target CSF Leaks membership has ended",
}


def send_membership_notices(notices: dict[int, list[str]]) -> None:
    """Email each member about the changes just committed, beside the response (never holding up a webhook)."""
    for user_id, kinds in notices.items():
        for kind in dict.fromkeys(kinds):
            run_after_response(lambda user_id=user_id, kind=kind: _send_notice(user_id, kind))


def _send_notice(user_id: int, kind: str) -> None:
    user = db.session.get(User, user_id)
    if user is None:
        return
    send_email(user.email, NOTICE_SUBJECTS[kind], f"membership_{kind}", "you are a member of Target CSF Leaks",
               user=user, membership=user.membership, membership_url=external_url("membership.index"),
               lounge_url=external_url("lounge.index"))


# A recorded state ("source status") in the words admins read in a member's history.
STATE_WORDS = {
    NO_MEMBERSHIP: "No membership",
    "stripe active": "Paying", "stripe trialing": "Paying (trial)",
    "stripe past_due": "Paying, but the last payment failed",
    "stripe canceled": "Cancelled (access to the end of the paid year)",
    "stripe incomplete": "First payment not through yet", "stripe incomplete_expired": "First payment failed",
    "stripe unpaid": "Unpaid", "stripe paused": "Paused",
    "complimentary active": "Free membership", "complimentary revoked": "Free membership ended",
    "gift active": "Gift membership", "gift revoked": "Gift membership ended",
}


def state_words(state: str) -> str:
    return STATE_WORDS.get(state, state)


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


def summarise(user: User, about_them: bool = False) -> MembershipSummary:
    """Plain words for the membership page, or with about_them=True for an admin looking at someone else
    ("They are…" rather than "You are…"). Dates are in the member's time zone."""
    you, your = ("they", "their") if about_them else ("you", "your")
    You, Your = you.capitalize(), your.capitalize()  # noqa: N806 - the capitalised words, at a sentence start
    if user.is_authenticated and user.is_staff:
        article = "an" if user.role[0] in "aeiou" else "a"
        return MembershipSummary(True, f"As {article} {user.role} {you} have full member access.")
    membership = getattr(user, "membership", None)
    if user.is_authenticated and not user.is_verified:
        if about_them:
            return MembershipSummary(False, "Their email address is not confirmed yet.")
        return MembershipSummary(False, "Confirm your email address first.",
                                 "Open the link we emailed you. Membership starts once your address is confirmed.")
    if membership is None:
        return MembershipSummary(False, f"{You} are not a member yet.")
    access = has_member_access(user)
    ends = membership.expires_at or membership.current_period_end
    until = f" until {day(ends, user.time_zone)}" if ends else ""
    if membership.source == "stripe":
        if membership.status == "past_due":
            detail = ("Their last payment did not go through; Stripe is retrying it." if about_them else
                      "Your last payment did not go through. Please update your card so your membership carries on.")
            return MembershipSummary(True, f"{You} are a member.", detail, needs_card_update=not about_them)
        if (membership.status == "canceled" or membership.cancel_at_period_end) and access:
            return MembershipSummary(True, f"{You} are a member{until}.", f"{Your} membership will not renew, "
                                     "and nothing more will be taken.")
        if access and not membership.stripe_subscription_id:
            # The demo's simulated payment: there is no card, so nothing renews.
            return MembershipSummary(True, f"{You} are a member{until}.",
                                     "This is a demo membership with no card behind it, so it will not renew.")
        if access:
            renews = f"It renews on {day(ends, user.time_zone)}." if ends else ""
            return MembershipSummary(True, f"{You} are a member.", renews)
        if membership.status == "incomplete":
            return MembershipSummary(False, f"{Your} first payment has not gone through.",
                                     "Nothing has been taken." + ("" if about_them else " You can try again below."))
        if membership.status == "unpaid":
            return MembershipSummary(False, f"{Your} membership is paused: the payment did not go through.",
                                     "Nothing more will be taken." + ("" if about_them else
                                                                      " You can join again below."))
        return MembershipSummary(False, f"{Your} membership has ended.")
    kind = "gift" if membership.source == "gift" else "free (complimentary)"
    if access:
        return MembershipSummary(True, f"{You} have a {kind} membership{until}.")
    return MembershipSummary(False, f"{Your} {kind} membership has ended.")


MEMBERS_PER_PAGE = 50
# Far beyond any real list, and small enough that the offset fits the databases' 64-bit integers.
MAX_MEMBERS_PAGE = 100_000


# The admins' membership filter: its value in the address, and its words in the list.
MEMBER_FILTERS = {
    "all": "All accounts",
    "access": "Membership gives access",
    "paying": "Paying",
    "failing": "Payment failing",
    "not_renewing": "Not renewing",
    "complimentary": "Complimentary",
    "gift": "Gift",
    "ended": "Ended",
    "none": "No membership",
}
RENEWING_STATUSES = ("active", "trialing")


def gives_access_clause(now: datetime):
    """`Membership.gives_access` as SQL, for filtering (the two must say the same: a test holds them together)."""
    paid = db.and_(Membership.source == "stripe", db.or_(
        Membership.status.in_(PAID_STATUSES),
        db.and_(Membership.status == "canceled", Membership.current_period_end > now)))
    free = db.and_(Membership.source != "stripe", Membership.status == "active",
                   db.or_(Membership.expires_at.is_(None), Membership.expires_at > now))
    return db.or_(paid, free)


def _membership_filter(name: str, now: datetime):
    """The condition on a user's membership for one of MEMBER_FILTERS (None for all accounts)."""
    access = gives_access_clause(now)
    stripe = Membership.source == "stripe"
    conditions = {
        "access": access,
        "paying": db.and_(stripe, Membership.status.in_(RENEWING_STATUSES)),
        "failing": db.and_(stripe, Membership.status == "past_due"),
        "not_renewing": db.and_(stripe, access, db.or_(Membership.cancel_at_period_end.is_(True),
                                                       Membership.status == "canceled")),
        "complimentary": db.and_(Membership.source == "complimentary", access),
        "gift": db.and_(Membership.source == "gift", access),
        "ended": db.not_(access),
    }
    if name == "none":
        return ~User.membership.has()
    if name in conditions:
        return User.membership.has(conditions[name])
    return None


def _members_statement(query: str, membership: str):
    statement = select(User).order_by(User.created_at.desc(), User.id.desc())
    if query:
        text = query.lower()
        statement = statement.where(db.or_(db.func.lower(User.email).contains(text, autoescape=True),
                                           db.func.lower(User.display_name).contains(text, autoescape=True)))
    condition = _membership_filter(membership, utcnow())
    if condition is not None:
        statement = statement.where(condition)
    return statement


def search_members(query: str, page: int, membership: str = "all"):
    """Accounts matching part of an email or display name, and one of MEMBER_FILTERS, newest first, by page.

    The query is matched literally (`%` and `_` are not wildcards); an unknown filter means all accounts; a page
    number out of range means the nearest of the first page and MAX_MEMBERS_PAGE."""
    page = min(max(page, 1), MAX_MEMBERS_PAGE)
    return db.paginate(_members_statement(query, membership), page=page, per_page=MEMBERS_PER_PAGE,
                       error_out=False)


@dataclass(frozen=True)
class StaffView:
    """A membership as the admins' list and download describe it."""

    status: str
    source: str
    access: bool
    date_label: str = ""
    date: datetime | None = None


SOURCE_WORDS = {"stripe": "Paid through Stripe", "complimentary": "Complimentary", "gift": "Gift"}


def describe_for_staff(membership: Membership | None, now: datetime) -> StaffView:
    """The status in plain words, where it comes from, and the date that matters (renews, ends, ended)."""
    if membership is None:
        return StaffView("No membership", "", False)
    source = SOURCE_WORDS.get(membership.source, membership.source)
    access = membership.gives_access(now)
    if membership.source == "stripe":
        ends = membership.current_period_end
        if access and membership.status == "past_due":
            return StaffView("Payment failing (Stripe is retrying)", source, True, "Renews", ends)
        if access and (membership.cancel_at_period_end or membership.status == "canceled"):
            return StaffView("Not renewing", source, True, "Ends", ends)
        if access:
            return StaffView("Paying (trial)" if membership.status == "trialing" else "Paying", source, True,
                             "Renews", ends)
        words = "Ended (unpaid)" if membership.status == "unpaid" else "Ended"
        return StaffView(words, source, False, "Ended" if ends else "", ends)
    if access:
        return StaffView(source, source, True, "Ends" if membership.expires_at else "No end date",
                         membership.expires_at)
    if membership.status == "revoked":
        return StaffView("Ended (revoked)", source, False)
    return StaffView("Ended (ran out)", source, False, "Ended", membership.expires_at)


MEMBERS_CSV_HEADER = ["Name", "Email", "Role", "Email confirmed", "Membership source", "Status", "Access",
                      "Renews or ends", "Joined"]


def _uk_date(moment: datetime | None) -> str:
    return moment.astimezone(ZoneInfo("Europe/London")).date().isoformat() if moment else ""


def members_csv(actor: User, query: str, membership: str) -> str:
    """Every account matching the search and filter, as a spreadsheet-safe CSV; the download is in the audit log."""
    now = utcnow()
    rows = []
    for user in db.session.scalars(_members_statement(query, membership)):
        view = describe_for_staff(user.membership, now)
        rows.append([user.display_name, user.email, user.role, "yes" if user.is_verified else "no", view.source,
                     view.status, "yes" if view.access else "no", _uk_date(view.date), _uk_date(user.created_at)])
    filter_words = MEMBER_FILTERS.get(membership, MEMBER_FILTERS["all"])
    record_action(actor, "download_members_csv", "members", 0,
                  detail=f"{len(rows)} accounts; filter: {filter_words}; search: {query!r}"[:2000])
    db.session.commit()
    return csv_text(MEMBERS_CSV_HEADER, rows)
