"""The one module that talks to Stripe: it turns Stripe's objects into plain values and its failures into ours.

Everything else in the app deals in `Subscription`, `CheckoutSession` and `PortalSession` below, so the rest of the
code (and its tests) never depends on how the `stripe` library shapes its objects.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from flask import current_app

# Stripe retries failed deliveries; we refuse a signature older (or newer) than this, in seconds.
SIGNATURE_TOLERANCE_SECONDS = 300
PRODUCT_NAME = "Target CSF Leaks membership"
# Stripe finds the membership price by this key, so `flask billing setup` can run any number of times.
PRICE_LOOKUP_KEY = "membership-yearly-gbp"
MEMBERSHIP_FEE_PENCE = 800


class PaymentsUnavailable(Exception):
    """Stripe could not be reached, was too slow, or refused the call: nothing was changed on our side."""


class NotFound(Exception):
    """Stripe has no such object (a mistyped or forged id)."""


class InvalidWebhook(Exception):
    """A webhook whose signature is missing, wrong, or too old or too new: it is not from Stripe."""


@dataclass(frozen=True)
class Subscription:
    id: str
    customer_id: str
    status: str
    current_period_end: datetime | None
    cancel_at_period_end: bool
    amount_pence: int | None
    currency: str | None


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None
    status: str | None          # open, complete or expired
    payment_status: str | None  # paid, unpaid or no_payment_required
    customer_id: str | None
    subscription_id: str | None
    client_reference_id: str | None
    expires_at: datetime | None


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    object: dict
    created: datetime


def is_configured() -> bool:
    config = current_app.config
    return bool(config["STRIPE_SECRET_KEY"] and config["STRIPE_PRICE_ID"] and config["STRIPE_WEBHOOK_SECRET"])


# stripe-python waits this long before its one retry (its smallest back-off).
RETRY_PAUSE_SECONDS = 0.5


def attempt_timeout(total: float) -> float:
    """How long one attempt may wait, so that both attempts and the pause between them fit in `total`."""
    return max((total - RETRY_PAUSE_SECONDS) / 2, 0.5)


def _client() -> stripe.StripeClient:
    config = current_app.config
    base = {"api": config["STRIPE_API_BASE"]} if config["STRIPE_API_BASE"] else None
    # STRIPE_TIMEOUT_SECONDS bounds the whole call, retry included: never the library's default of 80 s a try, as a
    # person waiting on "Become a member" gives up long before that, and a hanging Stripe must not hold a worker.
    # One retry: stripe-python sends the same idempotency key again, so a retried create cannot create twice.
    attempt = attempt_timeout(config["STRIPE_TIMEOUT_SECONDS"])
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"], base_addresses=base, max_network_retries=1,
        http_client=stripe.RequestsClient(timeout=(min(attempt, 3), attempt)))


def _call(make_request):
    """Run one Stripe call; any failure of Stripe's becomes PaymentsUnavailable."""
    try:
        return make_request(_client().v1)
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            raise NotFound(str(error)) from error
        current_app.logger.warning("Stripe refused a call: %s", error)
        raise PaymentsUnavailable(str(error)) from error
    except stripe.StripeError as error:
        current_app.logger.warning("Stripe call failed: %s", error)
        raise PaymentsUnavailable(str(error)) from error


def _when(timestamp) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), UTC) if timestamp else None


def idempotency_key(*parts) -> str:
    """A stable key for one intended create, so a double tap or a retry gets the same object back from Stripe."""
    return hashlib.sha256(":".join(str(part) for part in parts).encode()).hexdigest()[:40]


# Customers and subscriptions ---------------------------------------------------------------------------------

def create_customer(user_id: int, email: str, name: str) -> str:
    params = {"email": email, "name": name, "metadata": {"user_id": str(user_id)}}
    customer = _call(lambda api: api.customers.create(
        params=params, options={"idempotency_key": idempotency_key("customer", user_id, email)}))
    return customer.id


def _subscription(data) -> Subscription:
    data = data if isinstance(data, dict) else data.to_dict()
    items = (data.get("items") or {}).get("data") or [{}]
    item = items[0]
    # The current API keeps the period on each item; older versions (and localstripe) at the top level.
    period_end = item.get("current_period_end") or data.get("current_period_end")
    price = item.get("price") or item.get("plan") or data.get("plan") or {}
    customer = data.get("customer")
    return Subscription(
        id=data["id"], customer_id=customer if isinstance(customer, str) else customer["id"], status=data["status"],
        current_period_end=_when(period_end), cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        amount_pence=price.get("unit_amount") if price.get("unit_amount") is not None else price.get("amount"),
        currency=price.get("currency"))


def customer_subscriptions(customer_id: str) -> list[Subscription]:
    """Every subscription the customer has or had, as Stripe says now (the source of truth)."""
    page = _call(lambda api: api.subscriptions.list(params={"customer": customer_id, "status": "all", "limit": 100}))
    return [_subscription(item) for item in page.data]


def retrieve_subscription(subscription_id: str) -> Subscription:
    return _subscription(_call(lambda api: api.subscriptions.retrieve(subscription_id)))


def set_renewal(subscription_id: str, renews: bool) -> Subscription:
    """Stop (or restart) the yearly renewal; access carries on to the end of the year already paid for."""
    return _subscription(_call(lambda api: api.subscriptions.update(
        subscription_id, params={"cancel_at_period_end": not renews})))


def cancel_subscription(subscription_id: str) -> Subscription:
    """End a subscription now (an erased account), with no refund for the rest of the year."""
    return _subscription(_call(lambda api: api.subscriptions.cancel(subscription_id)))


# Checkout and the Customer Portal ---------------------------------------------------------------------------

def _checkout_session(data) -> CheckoutSession:
    data = data if isinstance(data, dict) else data.to_dict()

    def id_of(value):
        return value if isinstance(value, str) or value is None else value.get("id")

    return CheckoutSession(
        id=data["id"], url=data.get("url"), status=data.get("status"), payment_status=data.get("payment_status"),
        customer_id=id_of(data.get("customer")), subscription_id=id_of(data.get("subscription")),
        client_reference_id=data.get("client_reference_id"), expires_at=_when(data.get("expires_at")))


def create_checkout_session(user_id: int, customer_id: str, success_url: str, cancel_url: str,
                            key: str) -> CheckoutSession:
    """A hosted Checkout page for the yearly membership, in subscription mode."""
    params = {
        "mode": "subscription",
        "customer": customer_id,
        "client_reference_id": str(user_id),
        "line_items": [{"price": current_app.config["STRIPE_PRICE_ID"], "quantity": 1}],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": {"user_id": str(user_id)},
        "subscription_data": {"metadata": {"user_id": str(user_id)}},
    }
    return _checkout_session(_call(lambda api: api.checkout.sessions.create(
        params=params, options={"idempotency_key": key})))


def retrieve_checkout_session(session_id: str) -> CheckoutSession:
    return _checkout_session(_call(lambda api: api.checkout.sessions.retrieve(session_id)))


def create_portal_session(customer_id: str, return_url: str) -> str:
    """The address of a short-lived Customer Portal page (card, cancel, invoices) for this customer."""
    portal = _call(lambda api: api.billing_portal.sessions.create(
        params={"customer": customer_id, "return_url": return_url}))
    return portal.url


# Setup ------------------------------------------------------------------------------------------------------

def ensure_membership_price() -> str:
    """The £8-a-year GBP price (and its product), created once: found again by its lookup key after that."""
    found = _call(lambda api: api.prices.list(params={"lookup_keys": [PRICE_LOOKUP_KEY], "active": True,
                                                      "limit": 1}))
    if found.data:
        return found.data[0].id
    product = _call(lambda api: api.products.create(
        params={"name": PRODUCT_NAME, "metadata": {"purpose": "membership"}},
        options={"idempotency_key": idempotency_key("product", PRODUCT_NAME)}))
    price = _call(lambda api: api.prices.create(
        params={"product": product.id, "unit_amount": MEMBERSHIP_FEE_PENCE, "currency": "gbp",
                "recurring": {"interval": "year"}, "lookup_key": PRICE_LOOKUP_KEY,
                "nickname": "Yearly membership"},
        options={"idempotency_key": idempotency_key("price", product.id, MEMBERSHIP_FEE_PENCE)}))
    return price.id


# Webhooks ---------------------------------------------------------------------------------------------------

def verify_event(payload: bytes, signature_header: str | None, now: float | None = None) -> Event:
    """The event, if Stripe signed exactly this body within the last (or, clocks drifting, the next) 5 minutes."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not secret or not signature_header:
        raise InvalidWebhook("no signature")
    try:
        event = stripe.Webhook.construct_event(payload, signature_header, secret,
                                               tolerance=SIGNATURE_TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise InvalidWebhook(str(error)) from error
    # stripe-python refuses old timestamps only; a signature dated in the future is refused here.
    stamps = [part[2:] for part in signature_header.split(",") if part.startswith("t=")]
    if not stamps or int(stamps[0]) > (now or time.time()) + SIGNATURE_TOLERANCE_SECONDS:
        raise InvalidWebhook("timestamp out of tolerance")
    data = event.to_dict()
    return Event(id=data["id"], type=data["type"], object=data["data"]["object"], created=_when(data["created"]))


def subscription_id_of_invoice(invoice: dict) -> str | None:
    """Invoices name their subscription at the top level in older API versions, under `parent` in current ones."""
    subscription = invoice.get("subscription")
    if subscription is None:
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        subscription = details.get("subscription")
    return subscription if isinstance(subscription, str) or subscription is None else subscription.get("id")
