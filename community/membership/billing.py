"""Paying for membership through Stripe: joining by Checkout, the return page, webhooks, reconciling, reminders.

Stripe's subscription is the source of truth. Whatever arrives (an event, a person coming back from Checkout, a
cron run), we re-read the customer's subscriptions from Stripe and set the membership from the one that gives the
most access, through `services.apply_subscription_state`. So duplicates, late or out-of-order events and forged
return links can only ever lead to what Stripe says.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from community.accounts.models import User
from community.extensions import db, utcnow
from community.mail import external_url, send_email
from community.refusals import Refusal

from . import services, stripe_gateway
from .models import (
    EVENT_RESULTS,
    PAID_STATUSES,
    GiftAidDeclaration,
    Membership,
    MembershipPayment,
    StripeCustomer,
    StripeEvent,
    subscription_gives_access,
)
from .stripe_gateway import InvalidWebhook, NotFound, PaymentsUnavailable, Subscription

UNAVAILABLE = ("We could not reach our payment provider just now. Please try again in a few minutes. "
               "Nothing has been charged.")
# For someone back from paying: "nothing has been charged" may not be true, and they must not pay again.
UNAVAILABLE_CHECKING = ("We could not reach our payment provider just now to check your payment. Please try again "
                        "in a few minutes.")
# How long before a year renews the reminder goes out (UK subscription rules expect a reminder in good time).
RENEWAL_REMINDER_DAYS = 14
# A Checkout page we made is reused while it has at least this long left, so a double tap never makes two.
CHECKOUT_REUSE_MARGIN = timedelta(minutes=10)


class BillingError(Refusal):
    """A payment step we refuse, with words for the person."""


class AlreadyMember(BillingError):
    """They already have membership: nobody is sent to pay twice."""


def payments_mode() -> str:
    """"stripe" when keys are set; otherwise "demo" with DEMO_MODE, or "off" ("payments not configured")."""
    if stripe_gateway.is_configured():
        return "stripe"
    return "demo" if current_app.config["DEMO_MODE"] else "off"


def _require_stripe() -> None:
    if payments_mode() != "stripe":
        raise BillingError("Online payment is not set up on this site.")


# Joining ----------------------------------------------------------------------------------------------------

def _stripe_customer(user: User) -> StripeCustomer:
    """The person's Stripe customer, made the first time they choose to join (and reused after that)."""
    customer = db.session.get(StripeCustomer, user.id)
    if customer is not None:
        return customer
    customer_id = stripe_gateway.create_customer(user.id, user.email, user.display_name)
    customer = StripeCustomer(user_id=user.id, customer_id=customer_id)
    db.session.add(customer)
    try:
        db.session.commit()
    except IntegrityError:
        # A double tap made the same customer (same idempotency key) and saved it first: use theirs.
        db.session.rollback()
        customer = db.session.get(StripeCustomer, user.id)
    return customer


def start_checkout(user: User, success_url: str, cancel_url: str) -> str:
    """The address of Stripe's Checkout page for this person's yearly membership.

    Refused for someone who already has access, or whose email is not confirmed. An open Checkout page made
    earlier is reused, and a new one is made with an idempotency key derived from the last, so two taps at once
    get the same page from Stripe and can never lead to two subscriptions.
    """
    _require_stripe()
    if not user.is_verified:
        raise BillingError("Confirm your email address first, then come back to join.")
    if services.summarise(user).has_access:
        raise AlreadyMember("You are already a member, so there is nothing to pay.")
    try:
        customer = _stripe_customer(user)
        if customer.checkout_session_id and customer.checkout_expires_at and \
                customer.checkout_expires_at > utcnow() + CHECKOUT_REUSE_MARGIN:
            earlier = stripe_gateway.retrieve_checkout_session(customer.checkout_session_id)
            if earlier.status == "open" and earlier.url:
                return earlier.url
            if earlier.status == "complete":
                sync_customer(customer.customer_id, "Checkout completed (seen on joining again)")
                if services.summarise(user).has_access:
                    raise AlreadyMember("Your payment has already gone through: you are a member.")
        key = stripe_gateway.idempotency_key("checkout", user.id, customer.checkout_session_id or "first")
        session = stripe_gateway.create_checkout_session(user.id, customer.customer_id, success_url, cancel_url, key)
    except (PaymentsUnavailable, NotFound) as error:
        raise BillingError(UNAVAILABLE) from error
    customer.checkout_session_id = session.id
    customer.checkout_expires_at = session.expires_at
    db.session.commit()
    return session.url


@dataclass(frozen=True)
class CheckoutOutcome:
    confirmed: bool
    message: str


def confirm_checkout(user: User, session_id: str) -> CheckoutOutcome:
    """The return page's check: re-read the Checkout Session from Stripe, so a late webhook never locks a paying
    member out. A session that is not this person's, or not paid, grants nothing."""
    _require_stripe()
    customer = db.session.get(StripeCustomer, user.id)
    try:
        session = stripe_gateway.retrieve_checkout_session(session_id)
    except NotFound:
        session = None
    except PaymentsUnavailable as error:
        raise BillingError(UNAVAILABLE_CHECKING) from error
    if session is None or customer is None or session.client_reference_id != str(user.id) \
            or session.customer_id != customer.customer_id:
        return CheckoutOutcome(False, "We could not match this payment page to your account, so nothing has "
                                      "changed. If you have paid, your membership will appear here within a few "
                                      "minutes; if not, please contact us.")
    if session.status == "complete":
        try:
            sync_customer(customer.customer_id, "Checkout completed (the member came back from Stripe)")
        except PaymentsUnavailable as error:
            raise BillingError(UNAVAILABLE_CHECKING) from error
        if services.summarise(user).has_access:
            return CheckoutOutcome(True, "Thank you: your payment went through and you are now a member.")
    return CheckoutOutcome(False, "Confirming your payment… Stripe has not told us yet that it went through. "
                                  "This usually takes a few seconds.")


def portal_url(user: User, return_url: str) -> str:
    """Stripe's Customer Portal for this member: change the card, cancel, see invoices."""
    _require_stripe()
    customer = db.session.get(StripeCustomer, user.id)
    if customer is None:
        raise BillingError("You have no payments with us yet, so there is nothing to manage.")
    try:
        return stripe_gateway.create_portal_session(customer.customer_id, return_url)
    except (PaymentsUnavailable, NotFound) as error:
        raise BillingError(UNAVAILABLE) from error


def set_renewal(user: User, renews: bool) -> None:
    """Stop (or restart) a member's yearly renewal in one step; they keep access to the end of the paid year.

    With DEMO_MODE and no keys, the demo membership changes the same way a Stripe subscription would."""
    membership = user.membership
    if membership is None or membership.source != "stripe" or not membership.gives_access(utcnow()):
        raise BillingError("You have no paid membership to change.")
    if payments_mode() == "demo":
        services.apply_subscription_state(
            user, "active", membership.current_period_end, "Renewal stopped (demo)" if not renews else
            "Renewal restarted (demo)", cancel_at_period_end=not renews)
        return
    _require_stripe()
    if not membership.stripe_subscription_id:
        raise BillingError("You have no paid membership to change.")
    try:
        subscription = stripe_gateway.set_renewal(membership.stripe_subscription_id, renews)
    except (PaymentsUnavailable, NotFound) as error:
        raise BillingError(UNAVAILABLE) from error
    reason = "Renewal stopped by the member" if not renews else "Renewal restarted by the member"
    try:
        sync_customer(subscription.customer_id, reason)
    except PaymentsUnavailable:
        # Stripe made the change and answered with the subscription; only the re-read after it failed. Record
        # Stripe's answer rather than tell the member nothing changed (the webhook that follows re-reads anyway).
        services.apply_subscription_state(user, subscription.status, subscription.current_period_end, reason,
                                          subscription.id, subscription.cancel_at_period_end,
                                          subscription.amount_pence)


# Following Stripe -------------------------------------------------------------------------------------------

def _best(subscriptions: list[Subscription]) -> Subscription | None:
    """Of a customer's subscriptions, the one that decides their access: one giving access, the latest paid."""
    now = utcnow()
    epoch = datetime.min.replace(tzinfo=now.tzinfo)
    return max(subscriptions, default=None, key=lambda sub: (
        subscription_gives_access(sub.status, sub.current_period_end, now),
        sub.current_period_end or epoch))


def _user_for_customer(customer_id: str | None) -> User | None:
    if not customer_id:
        return None
    return db.session.scalar(select(User).join(StripeCustomer, StripeCustomer.user_id == User.id)
                             .where(StripeCustomer.customer_id == customer_id))


def sync_customer(customer_id: str, reason: str, commit: bool = True) -> User | None:
    """Set the member's access from the customer's subscriptions as Stripe holds them now.

    A free (complimentary or gift) membership that gives access is replaced only by a subscription being paid
    for: an old cancelled subscription must not end a hardship waiver."""
    user = _user_for_customer(customer_id)
    if user is None:
        return None
    best = _best(stripe_gateway.customer_subscriptions(customer_id))
    if best is None:
        return user
    now = utcnow()
    membership = user.membership
    if membership is not None and membership.source != "stripe" and membership.gives_access(now) and \
            best.status not in PAID_STATUSES:
        return user
    services.apply_subscription_state(user, best.status, best.current_period_end, reason, best.id,
                                      best.cancel_at_period_end, best.amount_pence, commit=commit)
    return user


HANDLED_EVENTS = ("checkout.session.completed", "customer.subscription.created", "customer.subscription.updated",
                  "customer.subscription.deleted", "invoice.paid", "invoice.payment_failed")


def receive_webhook(payload: bytes, signature_header: str | None) -> tuple[int, str]:
    """Verify, store once and act on one webhook delivery; returns the HTTP status and a short answer.

    400: not from Stripe (nothing stored). 200: done, a duplicate, or nothing for us to do. 500: it failed; it
    stays recorded as failed for an admin, and Stripe delivers it again later.
    """
    try:
        event = stripe_gateway.verify_event(payload, signature_header)
    except InvalidWebhook:
        return 400, "invalid signature"
    if not _claim(event):
        return 200, "duplicate"
    try:
        result, detail, user_id = _act_on(event)
        db.session.execute(update(StripeEvent).where(StripeEvent.id == event.id)
                           .values(result=result, detail=detail[:2000], user_id=user_id))
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - any failure: undo, record it for an admin, let Stripe retry
        db.session.rollback()
        services.forget_pending_notices()
        current_app.logger.exception("Stripe event %s (%s) failed", event.id, event.type)
        _record_failure(event, error)
        return 500, "failed"
    services.send_membership_notices(services.pending_notices())
    return 200, result


def _claim(event: stripe_gateway.Event) -> bool:
    """Take the event for this transaction: its row is inserted (or a failed one taken back) now and committed
    with the effect, so of several deliveries at once exactly one goes on and the rest see a duplicate."""
    existing = db.session.get(StripeEvent, event.id)
    if existing is None:
        db.session.add(StripeEvent(id=event.id, type=event.type[:100], result="processing",
                                   stripe_created_at=event.created))
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return False
        return True
    if existing.result != "failed":
        return False
    retried = db.session.execute(update(StripeEvent)
                                 .where(StripeEvent.id == event.id, StripeEvent.result == "failed")
                                 .values(result="processing", attempts=StripeEvent.attempts + 1))
    return retried.rowcount == 1


def _record_failure(event: stripe_gateway.Event, error: Exception) -> None:
    detail = f"{type(error).__name__}: {error}"[:2000]
    row = db.session.get(StripeEvent, event.id)
    if row is None:
        row = StripeEvent(id=event.id, type=event.type[:100], result="failed", stripe_created_at=event.created,
                          detail=detail)
        db.session.add(row)
    else:
        # This delivery's own claim (its +1) was rolled back with its work: count the try again here.
        row.result, row.detail, row.attempts = "failed", detail, row.attempts + 1
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def _act_on(event: stripe_gateway.Event) -> tuple[str, str, int | None]:
    """Do what one event asks; returns its result ("processed" or "ignored"), why, and whose it was."""
    if event.type not in HANDLED_EVENTS:
        return "ignored", "not an event the membership follows", None
    obj = event.object
    customer_id = obj.get("customer")
    customer_id = customer_id if isinstance(customer_id, str) or customer_id is None else customer_id.get("id")
    if event.type == "checkout.session.completed":
        _link_checkout_customer(obj.get("client_reference_id"), customer_id)
    user = _user_for_customer(customer_id)
    if user is None:
        return "ignored", f"unknown customer {customer_id}", None
    before = services.summarise(user).headline if user.membership else "no membership"
    if event.type == "invoice.paid":
        _record_payment(user, obj, event.created)
    sync_customer(customer_id, f"Stripe: {event.type}", commit=False)
    after = _describe(user.membership)
    return "processed", f"{before} → {after}" if user.membership else before, user.id


def _describe(membership: Membership | None) -> str:
    return membership.state if membership else "no membership"


def _link_checkout_customer(client_reference_id: str | None, customer_id: str | None) -> None:
    """A Checkout we made names our user: remember their customer if the join page could not (it crashed)."""
    if not customer_id or not (client_reference_id or "").isdigit():
        return
    user = db.session.get(User, int(client_reference_id))
    if user is not None and db.session.get(StripeCustomer, user.id) is None:
        db.session.add(StripeCustomer(user_id=user.id, customer_id=customer_id))
        db.session.flush()


def _record_payment(user: User, invoice: dict, fallback_time: datetime) -> None:
    invoice_id = invoice.get("id")
    if not invoice_id or db.session.scalar(select(MembershipPayment.id)
                                           .where(MembershipPayment.invoice_id == invoice_id)):
        return
    paid = (invoice.get("status_transitions") or {}).get("paid_at")
    db.session.add(MembershipPayment(
        user_id=user.id, invoice_id=invoice_id, amount_pence=int(invoice.get("amount_paid") or 0),
        currency=(invoice.get("currency") or "gbp")[:3],
        paid_at=stripe_gateway._when(paid) if paid else fallback_time))


# For admins -------------------------------------------------------------------------------------------------

EVENTS_PER_PAGE = 50
# Far beyond any real list, and small enough that the offset fits the databases' 64-bit integers.
MAX_EVENTS_PAGE = 100_000
EVENT_RESULT_WORDS = {"processed": "Done", "ignored": "Not needed", "failed": "Failed",
                      "processing": "In progress"}


def list_events(page: int, result: str = ""):
    """The webhook events received, newest first, 50 a page; only those with one result (like "failed") if
    given. Each event's member is loaded in the same query."""
    statement = (select(StripeEvent).options(joinedload(StripeEvent.user))
                 .order_by(StripeEvent.received_at.desc(), StripeEvent.id.desc()))
    if result in EVENT_RESULTS:
        statement = statement.where(StripeEvent.result == result)
    page = min(max(page, 1), MAX_EVENTS_PAGE)
    return db.paginate(statement, page=page, per_page=EVENTS_PER_PAGE, error_out=False)


@dataclass(frozen=True)
class BillingRecord:
    """What an admin sees about someone's payments: their Stripe customer, last payments, Gift Aid."""

    customer_id: str | None
    payments: list[MembershipPayment]
    gift_aid_declared_at: datetime | None


def billing_record(user: User, payments_shown: int = 5) -> BillingRecord:
    customer = db.session.get(StripeCustomer, user.id)
    payments = list(db.session.scalars(select(MembershipPayment).where(MembershipPayment.user_id == user.id)
                                       .order_by(MembershipPayment.paid_at.desc()).limit(payments_shown)))
    declared = db.session.scalar(select(GiftAidDeclaration.declared_at).where(
        GiftAidDeclaration.user_id == user.id, GiftAidDeclaration.cancelled_at.is_(None))
        .order_by(GiftAidDeclaration.declared_at.desc()).limit(1))
    return BillingRecord(customer.customer_id if customer else None, payments, declared)


# Cron -------------------------------------------------------------------------------------------------------

@dataclass
class ReconcileReport:
    checked: int = 0
    changed: int = 0
    failed: int = 0


def reconcile() -> ReconcileReport:
    """Re-read every customer's subscriptions from Stripe and correct any drift (after an outage, and nightly)."""
    _require_stripe()
    report = ReconcileReport()
    customers = db.session.execute(select(StripeCustomer.customer_id, StripeCustomer.user_id)).all()
    for customer_id, user_id in customers:
        report.checked += 1
        before = _describe(db.session.scalar(select(Membership).where(Membership.user_id == user_id)))
        try:
            sync_customer(customer_id, "Reconciled with Stripe")
        except PaymentsUnavailable:
            db.session.rollback()
            report.failed += 1
            continue
        after = _describe(db.session.scalar(select(Membership).where(Membership.user_id == user_id)))
        report.changed += before != after
    return report


def send_renewal_reminders() -> int:
    """Email each member whose year renews within RENEWAL_REMINDER_DAYS, once per renewal; and tell anyone whose
    cancelled membership has now run out (Stripe sends no event when a cancelled year simply ends)."""
    now = utcnow()
    sent = 0
    due = db.session.scalars(select(Membership).where(
        Membership.source == "stripe", Membership.status.in_(("active", "trialing")),
        Membership.cancel_at_period_end.is_(False),
        Membership.current_period_end > now,
        Membership.current_period_end <= now + timedelta(days=RENEWAL_REMINDER_DAYS),
        or_(Membership.reminded_for_period_end.is_(None),
            Membership.reminded_for_period_end != Membership.current_period_end))).all()
    for membership in due:
        if _mark(membership, Membership.reminded_for_period_end):
            user = membership.user
            send_email(user.email, "Your membership renews soon", "membership_renewal_reminder",
                       "you are a member of Target CSF Leaks and your membership renews every year",
                       user=user, membership=membership, amount=_pounds(membership.renewal_amount_pence),
                       cancel_url=external_url("membership.stop_renewal"),
                       membership_url=external_url("membership.index"))
            sent += 1
    lapsed = db.session.scalars(select(Membership).where(
        Membership.source == "stripe", Membership.status == "canceled",
        Membership.current_period_end <= now, Membership.current_period_end > now - timedelta(days=30),
        or_(Membership.ended_notice_for_period_end.is_(None),
            Membership.ended_notice_for_period_end != Membership.current_period_end))).all()
    for membership in lapsed:
        if _mark(membership, Membership.ended_notice_for_period_end):
            services.send_membership_notices({membership.user_id: ["ended"]})
            sent += 1
    return sent


def _mark(membership: Membership, column) -> bool:
    """Claim one email for this period (a conditional update), so two cron runs at once send it once."""
    claimed = db.session.execute(update(Membership).where(
        Membership.id == membership.id,
        or_(column.is_(None), column != membership.current_period_end))
        .values({column.key: membership.current_period_end}))
    db.session.commit()
    return claimed.rowcount == 1


def _pounds(pence: int | None) -> str:
    pence = stripe_gateway.MEMBERSHIP_FEE_PENCE if pence is None else pence
    return f"£{pence // 100}.{pence % 100:02d}"


def setup_price() -> str:
    """Create the product and the £8-a-year price in the configured Stripe account, once; returns the price id."""
    if not current_app.config["STRIPE_SECRET_KEY"]:
        raise BillingError("Set STRIPE_SECRET_KEY first.")
    try:
        return stripe_gateway.ensure_membership_price()
    except PaymentsUnavailable as error:
        raise BillingError(f"Stripe refused or could not be reached: {error}") from error

