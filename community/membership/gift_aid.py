"""Gift Aid: a member's declaration (in the words of a dated version), cancelling it, and the claim for HMRC.

UK taxpayers can let the charity claim 25p from HMRC for every £1 they pay. HMRC needs the declaration's words,
the person's name, home address and postcode, and the date; the charity lists the payments it claims on HMRC's
schedule (title, first name, last name, house name or number, postcode, date, amount).
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select

from community.accounts.models import User
from community.csv_safe import safe_cell
from community.extensions import db, utcnow
from community.moderation.services import record_action
from community.refusals import Refusal

from .models import GiftAidDeclaration, MembershipPayment
from .services import end_of_day_london

# Change the version whenever the words change: each declaration records the version its member agreed to.
WORDING_VERSION = "2026-11"
WORDING = ("I want to Gift Aid my membership payments to Target CSF Leaks, today, in the future and in the "
           "past 4 years. I am a UK taxpayer and understand that if I pay less Income Tax and/or Capital Gains Tax "
           "in a tax year than the amount of Gift Aid claimed on all my donations, it is my responsibility to pay "
           "any difference.")
# A declaration covers payments made up to 4 years before it.
BACKDATED_YEARS = 4


class GiftAidError(Refusal):
    """A Gift Aid declaration we cannot record."""


def current_declaration(user: User) -> GiftAidDeclaration | None:
    return db.session.scalar(select(GiftAidDeclaration).where(
        GiftAidDeclaration.user_id == user.id, GiftAidDeclaration.cancelled_at.is_(None))
        .order_by(GiftAidDeclaration.declared_at.desc()).limit(1))


def declare(user: User, first_name: str, last_name: str, house: str, address: str, postcode: str,
            title: str = "", commit: bool = True) -> GiftAidDeclaration:
    """Record a declaration in today's words (replacing any earlier one, which is kept, cancelled)."""
    values = {"first_name": first_name.strip(), "last_name": last_name.strip(), "house": house.strip(),
              "address": address.strip(), "postcode": " ".join(postcode.upper().split())}
    for field, label in (("first_name", "your first name"), ("last_name", "your last name"),
                         ("house", "your house name or number"), ("postcode", "your postcode")):
        if not values[field]:
            raise GiftAidError(f"Enter {label}: HMRC needs it for Gift Aid.", field)
    now = utcnow()
    earlier = current_declaration(user)
    if earlier is not None:
        earlier.cancelled_at = now
    declaration = GiftAidDeclaration(user_id=user.id, wording_version=WORDING_VERSION, title=title.strip()[:20],
                                     declared_at=now, **values)
    db.session.add(declaration)
    if commit:
        db.session.commit()
    return declaration


def count_active_declarations() -> int:
    """How many members have a Gift Aid declaration in force now (for the admins' claim page)."""
    return db.session.scalar(select(db.func.count(GiftAidDeclaration.user_id.distinct()))
                             .where(GiftAidDeclaration.cancelled_at.is_(None))) or 0


def cancel(user: User) -> None:
    """Stop Gift Aid on future payments (payments already made stay claimable, as HMRC allows)."""
    declaration = current_declaration(user)
    if declaration is None:
        raise GiftAidError("You have no Gift Aid declaration to cancel.")
    declaration.cancelled_at = utcnow()
    db.session.commit()


@dataclass(frozen=True)
class ClaimLine:
    declaration: GiftAidDeclaration
    payment: MembershipPayment


def claimable_payments(start: date, end: date) -> list[ClaimLine]:
    """Payments from `start` to `end` (UK days, inclusive) covered by a declaration in force when they were made."""
    since = end_of_day_london(start - timedelta(days=1))
    until = end_of_day_london(end)
    rows = db.session.execute(
        select(MembershipPayment, GiftAidDeclaration)
        .join(GiftAidDeclaration, or_(GiftAidDeclaration.user_id == MembershipPayment.user_id,
                                      GiftAidDeclaration.donor_reference == MembershipPayment.donor_reference))
        .where(MembershipPayment.paid_at > since, MembershipPayment.paid_at <= until,
               MembershipPayment.currency == "gbp", MembershipPayment.amount_pence > 0)
        .order_by(MembershipPayment.paid_at, GiftAidDeclaration.declared_at)).all()
    lines: dict[int, ClaimLine] = {}
    for payment, declaration in rows:
        if payment.id not in lines and _covers(declaration, payment.paid_at):
            lines[payment.id] = ClaimLine(declaration, payment)
    return list(lines.values())


def _covers(declaration: GiftAidDeclaration, paid_at: datetime) -> bool:
    earliest = declaration.declared_at.replace(year=declaration.declared_at.year - BACKDATED_YEARS)
    return earliest <= paid_at and (declaration.cancelled_at is None or paid_at < declaration.cancelled_at)


CLAIM_HEADER = ["Title", "First name or initial", "Last name", "House name or number", "Postcode",
                "Aggregated donations", "Sponsored event", "Donation date (DD/MM/YY)", "Amount"]


def claim_csv(actor: User, start: date, end: date) -> str:
    """HMRC's Gift Aid schedule columns, one row per claimable payment; the download is in the audit log."""
    if end < start:
        raise GiftAidError("The end date must be on or after the start date.", "end")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CLAIM_HEADER)
    lines = claimable_payments(start, end)
    for line in lines:
        declaration, payment = line.declaration, line.payment
        writer.writerow([safe_cell(declaration.title), safe_cell(declaration.first_name),
                         safe_cell(declaration.last_name), safe_cell(declaration.house),
                         safe_cell(declaration.postcode), "", "",
                         payment.paid_at.strftime("%d/%m/%y"), f"{payment.amount_pence / 100:.2f}"])
    record_action(actor, "download_gift_aid_claim", "gift_aid", 0,
                  detail=f"{start.isoformat()} to {end.isoformat()}: {len(lines)} payments")
    db.session.commit()
    return out.getvalue()
