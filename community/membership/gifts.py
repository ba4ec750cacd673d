"""Gift memberships by code: an admin makes a code to give away, and whoever types it in gets free membership.

Only a SHA-256 hash of a code is stored (and its last 4 characters, to tell codes apart), so the list of codes is
no use to anyone who reads the database. A code is claimed with one conditional UPDATE, so when two people type
the same code at once exactly one of them gets the membership.
"""

import calendar
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from community.accounts.models import User
from community.extensions import db, utcnow
from community.moderation.services import record_action
from community.refusals import Refusal

from . import services
from .models import GiftCode, Membership

# No 0/O, 1/I/L or 5/S look-alikes, so a code read aloud or copied by hand comes out right.
ALPHABET = "ABCDEFGHJKMNPQRTUVWXYZ2346789"
GROUPS = 4
GROUP_LENGTH = 4
HINT_LENGTH = 4
REDEEM_WITHIN = timedelta(days=365)
MAX_MONTHS = 36
CODES_PER_PAGE = 40  # each row carries a cancel button: 40 keeps a full page well within 60 KB
EXAMPLE_CODE = "K7QM-3XPD-9HTW-RC4N"


class GiftCodeError(Refusal):
    """A gift code we cannot make, use or cancel, with words for the person."""


class GiftCodeNotFound(GiftCodeError):
    """No gift code has that id (for the admins' screens: a 404)."""


def normalise(code: str) -> str:
    """The code as stored: capitals, without the spaces and dashes people type between the groups."""
    return "".join(character for character in code.upper() if character.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def _new_code() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))


def create_gift_code(actor: User, note: str, months: int = 12) -> tuple[GiftCode, str]:
    """Make a code worth `months` of membership, usable for a year; returns it and the code itself.

    The code is shown to the admin once and never stored: give it to the person straight away."""
    note = " ".join(note.split())
    if not note:
        raise GiftCodeError("Say who the code is for, so you can tell the codes apart later.", "note")
    if len(note) > 200:
        raise GiftCodeError("Keep the note to 200 characters or fewer.", "note")
    if not 1 <= months <= MAX_MONTHS:
        raise GiftCodeError(f"A gift code can give from 1 to {MAX_MONTHS} months.", "months")
    plain = _new_code()
    normalised = normalise(plain)
    gift = GiftCode(code_hash=code_hash(plain), hint=normalised[-HINT_LENGTH:], note=note, months=months,
                    created_by_id=actor.id if actor else None, redeem_by=utcnow() + REDEEM_WITHIN)
    db.session.add(gift)
    db.session.flush()
    record_action(actor, "create_gift_code", "gift_code", gift.id, reason=note,
                  detail=f"ending {gift.hint}, {months} months")
    db.session.commit()
    return gift, plain


def _add_months(start: date, months: int) -> date:
    """The same day `months` later (or the month's last day: 31 January plus a month is the end of February)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _uk_today(now: datetime) -> date:
    return now.astimezone(ZoneInfo("Europe/London")).date()


def _gift_ends_on(membership: Membership | None, months: int, now: datetime) -> date:
    """A gift runs from today, or from the end of a gift or complimentary membership that runs later."""
    start = _uk_today(now)
    if membership is not None and membership.source != "stripe" and membership.gives_access(now) \
            and membership.expires_at is not None:
        start = max(start, membership.expires_at.astimezone(ZoneInfo("Europe/London")).date())
    return _add_months(start, months)


def redeem_gift_code(user: User, code: str) -> Membership:
    """Give `user` the gift membership a code is worth, once: the code cannot be used again by anyone."""
    normalised = normalise(code)
    if not normalised:
        raise GiftCodeError(f"Enter the code from your gift, like {EXAMPLE_CODE}.", "code")
    if not user.is_verified:
        raise GiftCodeError("Confirm your email address first (open the link we emailed you), then come back "
                            "to use your code.", "code")
    gift = db.session.scalar(select(GiftCode).where(GiftCode.code_hash == code_hash(normalised)))
    now = utcnow()
    if gift is None:
        raise GiftCodeError("We could not find that code. Check it against the one you were given: the letters "
                            "and numbers matter, spaces and dashes do not.", "code")
    if gift.redeemed_at is not None:
        if gift.redeemed_by_id == user.id:
            raise GiftCodeError("You have already used this code. Your gift membership is shown on your "
                                "membership page.", "code")
        raise GiftCodeError("This code has already been used. If it was given to you, please ask whoever gave "
                            "it to you.", "code")
    if gift.revoked_at is not None:
        raise GiftCodeError("This code has been cancelled. Please ask whoever gave it to you for a new one.", "code")
    if gift.redeem_by <= now:
        raise GiftCodeError("This code has run out: codes must be used within a year. Please ask whoever gave it "
                            "to you for a new one.", "code")
    membership = user.membership
    if membership is not None and membership.source == "stripe" and membership.gives_access(now):
        raise GiftCodeError("You already pay for your membership, so you do not need this code. You could pass "
                            "it on to someone else: it has not been used.", "code")
    if membership is not None and membership.source != "stripe" and membership.gives_access(now) \
            and membership.expires_at is None:
        raise GiftCodeError("You already have free membership with no end date, so you do not need this code. "
                            "You could pass it on to someone else: it has not been used.", "code")
    ends_on = _gift_ends_on(membership, gift.months, now)
    claimed = db.session.execute(
        update(GiftCode)
        .where(GiftCode.id == gift.id, GiftCode.redeemed_at.is_(None), GiftCode.revoked_at.is_(None),
               GiftCode.redeem_by > now)
        .values(redeemed_at=now, redeemed_by_id=user.id)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise GiftCodeError("This code has just been used. If it was given to you, please ask whoever gave it "
                            "to you.", "code")
    record_action(user, "redeem_gift_code", "gift_code", gift.id, detail=f"until {ends_on.isoformat()}")
    try:
        # Commits the claim, the membership and both records together.
        membership = services.grant_complimentary(None, user, ends_on, f"Gift code ending {gift.hint}",
                                                  source="gift")
    except Refusal as refusal:
        db.session.rollback()
        raise GiftCodeError(refusal.message, "code") from refusal
    return membership


def revoke_gift_code(actor: User, gift_id: int) -> GiftCode:
    """Cancel a code nobody has used yet, so it can never be used (a membership it already gave is kept)."""
    gift = db.session.get(GiftCode, gift_id)
    if gift is None:
        raise GiftCodeNotFound("There is no such gift code.")
    cancelled = db.session.execute(
        update(GiftCode)
        .where(GiftCode.id == gift.id, GiftCode.redeemed_at.is_(None), GiftCode.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False))
    if cancelled.rowcount != 1:
        db.session.rollback()
        db.session.refresh(gift)
        if gift.revoked_at is not None:
            raise GiftCodeError(f"The code ending {gift.hint} was already cancelled.")
        raise GiftCodeError(f"The code ending {gift.hint} has already been used, so it cannot be cancelled. To "
                            "end the membership it gave, open that member's page.")
    record_action(actor, "revoke_gift_code", "gift_code", gift.id, detail=f"ending {gift.hint}")
    db.session.commit()
    db.session.refresh(gift)
    return gift


@dataclass(frozen=True)
class GiftCodeRow:
    gift: GiftCode
    status: str


def status_of(gift: GiftCode, now: datetime) -> str:
    """The code's state in plain words, for the admins' list."""
    if gift.redeemed_at is not None:
        return "Used"
    if gift.revoked_at is not None:
        return "Cancelled"
    if gift.redeem_by <= now:
        return "Ran out"
    return "Not used yet"


def list_gift_codes(page: int):
    """Every code, newest first, 40 a page, with who made and who used it loaded in the same query."""
    statement = (select(GiftCode).options(joinedload(GiftCode.created_by), joinedload(GiftCode.redeemed_by))
                 .order_by(GiftCode.created_at.desc(), GiftCode.id.desc()))
    page = min(max(page, 1), services.MAX_MEMBERS_PAGE)
    return db.paginate(statement, page=page, per_page=CODES_PER_PAGE, error_out=False)
