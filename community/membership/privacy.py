"""What membership holds about a person, for their data export: their membership and every change to it,
payments, Gift Aid declarations, gift codes, and their Stripe customer. Who changed a membership is never named
(only "you", "the charity" or "automatically")."""

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from community.accounts.models import User
from community.dates import iso_or_none
from community.extensions import db, utcnow
from community.privacy.registry import Erasure, ErasureBlocked

from . import stripe_gateway
from .models import (
    GiftAidDeclaration,
    GiftCode,
    Membership,
    MembershipChange,
    MembershipPayment,
    StripeCustomer,
    StripeEvent,
)

SOURCE_WORDS = {"stripe": "Paid subscription", "complimentary": "Complimentary (given by the charity)",
                "gift": "Gift code"}


def _money(pence: int | None, currency: str = "gbp") -> str | None:
    if pence is None:
        return None
    symbol = "£" if currency.lower() == "gbp" else f"{currency.upper()} "
    return f"{symbol}{pence // 100}.{pence % 100:02d}"


def export_member_data(user: User) -> dict:
    """Their membership (below), and, for admins who made gift codes or changed memberships, that work."""
    data = export_membership(user)
    staff = export_staff_work(user)
    if any(staff.values()):
        data["your_work_as_staff"] = staff
    return data


def export_membership(user: User) -> dict:
    """Their membership now, its history, payments, Gift Aid, gift codes redeemed, and Stripe's records of them."""
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    changes = db.session.execute(
        select(MembershipChange.from_state, MembershipChange.to_state, MembershipChange.reason,
               MembershipChange.actor_id, MembershipChange.created_at)
        .where(MembershipChange.user_id == user.id).order_by(MembershipChange.created_at, MembershipChange.id)).all()
    payments = db.session.execute(
        select(MembershipPayment.invoice_id, MembershipPayment.amount_pence, MembershipPayment.currency,
               MembershipPayment.paid_at)
        .where(MembershipPayment.user_id == user.id).order_by(MembershipPayment.paid_at)).all()
    declarations = db.session.scalars(select(GiftAidDeclaration).where(GiftAidDeclaration.user_id == user.id)
                                      .order_by(GiftAidDeclaration.declared_at, GiftAidDeclaration.id)).all()
    redeemed = db.session.execute(
        select(GiftCode.hint, GiftCode.months, GiftCode.redeemed_at).where(GiftCode.redeemed_by_id == user.id)
        .order_by(GiftCode.redeemed_at)).all()
    customer = db.session.execute(select(StripeCustomer.customer_id, StripeCustomer.created_at)
                                  .where(StripeCustomer.user_id == user.id)).first()
    events = db.session.execute(
        select(StripeEvent.type, StripeEvent.result, StripeEvent.received_at).where(StripeEvent.user_id == user.id)
        .order_by(StripeEvent.received_at)).all()
    return {
        "membership": ({
            "kind": SOURCE_WORDS.get(membership.source, membership.source),
            "status": membership.status,
            "paid_until": iso_or_none(membership.current_period_end),
            "ends_at": iso_or_none(membership.expires_at),
            "renews": not membership.cancel_at_period_end if membership.source == "stripe" else None,
            "next_renewal_amount": _money(membership.renewal_amount_pence),
            "started_at": iso_or_none(membership.created_at),
            "updated_at": iso_or_none(membership.updated_at),
        } if membership else None),
        "history": [{"from": from_state, "to": to_state, "reason": reason,
                     "by": "you" if actor_id == user.id else "the charity" if actor_id else "automatically",
                     "changed_at": iso_or_none(created_at)}
                    for from_state, to_state, reason, actor_id, created_at in changes],
        "payments": [{"amount": _money(pence, currency), "paid_at": iso_or_none(paid_at), "invoice": invoice_id}
                     for invoice_id, pence, currency, paid_at in payments],
        "gift_aid_declarations": [{
            "wording_version": d.wording_version, "title": d.title, "first_name": d.first_name,
            "last_name": d.last_name, "house": d.house, "address": d.address, "postcode": d.postcode,
            "declared_at": iso_or_none(d.declared_at), "cancelled_at": iso_or_none(d.cancelled_at),
        } for d in declarations],
        "gift_codes_redeemed": [{"code_ending": hint, "months": months, "redeemed_at": iso_or_none(redeemed_at)}
                                for hint, months, redeemed_at in redeemed],
        "stripe": {
            "customer_id": customer.customer_id if customer else None,
            "customer_since": iso_or_none(customer.created_at) if customer else None,
            "payment_messages_received": [{"type": kind, "result": result, "received_at": iso_or_none(received_at)}
                                          for kind, result, received_at in events],
        },
    }


def export_staff_work(user: User) -> dict:
    """As an admin: the gift codes they made and the membership changes they made, without whose they were."""
    made = db.session.execute(
        select(GiftCode.hint, GiftCode.note, GiftCode.months, GiftCode.created_at, GiftCode.redeemed_at,
               GiftCode.revoked_at)
        .where(GiftCode.created_by_id == user.id).order_by(GiftCode.created_at)).all()
    changed = db.session.execute(
        select(MembershipChange.to_state, MembershipChange.created_at)
        .where(MembershipChange.actor_id == user.id, MembershipChange.user_id != user.id)
        .order_by(MembershipChange.created_at)).all()
    return {
        "gift_codes_you_made": [{"code_ending": hint, "note": note, "months": months,
                                 "made_at": iso_or_none(created_at),
                                 "redeemed": redeemed_at is not None, "revoked_at": iso_or_none(revoked_at)}
                                for hint, note, months, created_at, redeemed_at, revoked_at in made],
        "memberships_you_changed": [{"changed_to": to_state, "changed_at": iso_or_none(created_at)}
                                    for to_state, created_at in changed],
    }


# Stripe statuses after which there is nothing left to cancel.
ENDED_STATUSES = ("canceled", "incomplete_expired")


def erase_member_data(user: User, erasure: Erasure) -> None:
    """Stop their subscription in Stripe at once (no refund of the year), and keep Gift Aid records HMRC may ask
    for (the declarations and the payments they cover, six years) without the account: tied to each other by a
    random reference. Everything else membership holds goes with the account (ON DELETE rules)."""
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    if (membership is not None and membership.source == "stripe" and membership.stripe_subscription_id
            and membership.status not in ENDED_STATUSES and stripe_gateway.is_configured()):
        try:
            stripe_gateway.cancel_subscription(membership.stripe_subscription_id)
        except stripe_gateway.NotFound:
            current_app.logger.info("Erasure: Stripe had no subscription %s", membership.stripe_subscription_id)
        except stripe_gateway.PaymentsUnavailable as error:
            raise ErasureBlocked(
                "We could not reach our card payment provider to stop your membership payments, so nothing has "
                "been erased yet. Please try again in a few minutes.") from error
    if db.session.scalar(select(GiftAidDeclaration.id).where(GiftAidDeclaration.user_id == user.id).limit(1)):
        reference = f"donor-{secrets.token_hex(8)}"
        for model in (GiftAidDeclaration, MembershipPayment):
            db.session.execute(update(model).where(model.user_id == user.id)
                               .values(user_id=None, donor_reference=reference))


# HMRC asks for Gift Aid records six years after the end of the accounting period a payment fell in: at most
# seven years after the payment.
GIFT_AID_RECORD_DAYS = 7 * 366


def purge() -> str:
    """Gift Aid records of erased accounts, once HMRC can no longer ask about them: payments over seven years old,
    then declarations with no payment left and made (or cancelled) as long ago."""
    cutoff = utcnow() - timedelta(days=GIFT_AID_RECORD_DAYS)
    payments = db.session.execute(delete(MembershipPayment).where(
        MembershipPayment.user_id.is_(None), MembershipPayment.paid_at < cutoff)).rowcount
    still_paid = select(MembershipPayment.id).where(
        MembershipPayment.donor_reference == GiftAidDeclaration.donor_reference)
    declarations = db.session.execute(delete(GiftAidDeclaration).where(
        GiftAidDeclaration.user_id.is_(None), ~still_paid.exists(),
        GiftAidDeclaration.declared_at < cutoff,
        (GiftAidDeclaration.cancelled_at.is_(None)) | (GiftAidDeclaration.cancelled_at < cutoff))
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return (f"removed {payments} payment(s) and {declarations} Gift Aid declaration(s) of erased accounts, "
            "past the seven years HMRC may ask about.")
