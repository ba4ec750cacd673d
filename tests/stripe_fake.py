"""Stripe for the tests: localstripe (a stateful fake Stripe server, run as a subprocess on loopback)
for customers, subscriptions, invoices and events; current-shape JSON fixtures through `responses` for what
localstripe lacks (Checkout Sessions, Customer Portal sessions, Prices); webhooks signed with Stripe's own helper.
"""

import contextlib
import copy
import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
import responses
import stripe

HERE = Path(__file__).parent
FIXTURES = HERE / "stripe_fixtures"
WEBHOOK_SECRET = "whsec_test_secret_for_the_membership_tests"
PRICE_ID = "price_membership_test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_url():
    """localstripe on a free loopback port for the whole test session."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, str(HERE / "localstripe_server.py"), str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{url}/v1/customers", auth=("sk_test_x", ""), timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"localstripe did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeStripe:
    """Stripe as the tests see it: localstripe behind, fixtures for Checkout, Portal and Prices in front.

    `checkout_origin` is where the Checkout pages it makes live (a local page in browser tests)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.checkout_origin = "https://checkout.stripe.com"
        self.api = stripe.StripeClient("sk_test_membership", base_addresses={"api": base_url}).v1
        self.checkout_sessions: dict[str, dict] = {}
        self.checkout_keys: dict[str, str] = {}
        self.checkout_requests: list[dict] = []
        self.prices: list[dict] = []
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.mock.add_passthru(base_url)
        self.mock.add_callback(responses.POST, f"{base_url}/v1/checkout/sessions", self._create_checkout)
        self.mock.add_callback(responses.GET, _pattern(base_url, "/v1/checkout/sessions/"), self._get_checkout)
        self.mock.add_callback(responses.POST, f"{base_url}/v1/billing_portal/sessions", self._create_portal)
        self.mock.add_callback(responses.GET, _pattern(base_url, "/v1/prices"), self._list_prices)
        self.mock.add_callback(responses.POST, f"{base_url}/v1/prices", self._create_price)

    # Checkout (fixtures) ----------------------------------------------------------------------------------

    def _create_checkout(self, request):
        form = parse_qs(request.body if isinstance(request.body, str) else request.body.decode())
        key = request.headers.get("Idempotency-Key")
        if key in self.checkout_keys:  # Stripe answers a repeated key with the first answer
            return 200, {}, json.dumps(self.checkout_sessions[self.checkout_keys[key]])
        self.checkout_requests.append({"form": form, "idempotency_key": key})
        session = fixture("checkout_session")
        session_id = f"cs_test_{uuid.uuid4().hex[:16]}"
        session.update(id=session_id, url=f"{self.checkout_origin}/c/pay/{session_id}",
                       client_reference_id=form["client_reference_id"][0], customer=form["customer"][0],
                       success_url=form["success_url"][0], cancel_url=form["cancel_url"][0],
                       created=int(time.time()), expires_at=int(time.time()) + 86400,
                       metadata={"user_id": form["client_reference_id"][0]})
        self.checkout_sessions[session_id] = session
        if key:
            self.checkout_keys[key] = session_id
        return 200, {}, json.dumps(session)

    def _get_checkout(self, request):
        session_id = request.path_url.split("?")[0].rsplit("/", 1)[1]
        session = self.checkout_sessions.get(session_id)
        if session is None:
            return 404, {}, json.dumps({"error": {"type": "invalid_request_error", "code": "resource_missing",
                                                  "message": f"No such checkout.session: '{session_id}'"}})
        return 200, {}, json.dumps(session)

    def pay(self, session_id: str, card: str = "pm_card_visa") -> str:
        """What Stripe does when the person pays on the Checkout page: a subscription for the customer, and the
        session complete. Returns the subscription id."""
        session = self.checkout_sessions[session_id]
        subscription = self.subscribe(session["customer"], card)
        session.update(status="complete", payment_status="paid", subscription=subscription)
        return subscription

    def subscribe(self, customer_id: str, card: str = "pm_card_visa") -> str:
        self.use_card(customer_id, card)
        return self.api.subscriptions.create(params={"customer": customer_id, "items": [{"plan": PRICE_ID}]}).id

    def use_card(self, customer_id: str, card: str) -> None:
        method = self.api.payment_methods.attach(card, params={"customer": customer_id})
        self.api.customers.update(customer_id, params={"invoice_settings": {"default_payment_method": method.id}})

    def fail_renewal(self, customer_id: str, subscription_id: str) -> dict:
        """A renewal whose card fails; returns the invoice. In localstripe only a 3-D Secure card whose
        authentication fails leaves the subscription past_due (../shared/notes/stripe-testing.md)."""
        card = self.api.payment_methods.create(params={"type": "card", "card": {
            "number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
        self.use_card(customer_id, card.id)
        invoice = self.api.invoices.create(params={"customer": customer_id, "subscription": subscription_id})
        with contextlib.suppress(stripe.StripeError):  # 402 while authentication is pending
            self.api.invoices.pay(invoice.id)
        intent = self.api.payment_intents.retrieve(self.api.invoices.retrieve(invoice.id)["payment_intent"])
        requests.post(f"{self.base_url}/v1/payment_intents/{intent.id}/_authenticate",
                      data={"success": "false", "client_secret": intent.client_secret},
                      auth=("sk_test_membership", ""), timeout=5).raise_for_status()
        return self.api.invoices.retrieve(invoice.id).to_dict()

    def checkout_completed_event(self, session_id: str) -> dict:
        return self.event("checkout.session.completed", self.checkout_sessions[session_id])

    # Portal and prices (fixtures) -------------------------------------------------------------------------

    def _create_portal(self, request):
        form = parse_qs(request.body if isinstance(request.body, str) else request.body.decode())
        portal = fixture("portal_session")
        portal.update(customer=form["customer"][0], return_url=form["return_url"][0])
        return 200, {}, json.dumps(portal)

    def _list_prices(self, request):
        wanted = parse_qs(request.url.split("?", 1)[1]).get("lookup_keys[0]", []) if "?" in request.url else []
        found = [price for price in self.prices if not wanted or price["lookup_key"] in wanted]
        return 200, {}, json.dumps({"object": "list", "data": found, "has_more": False, "url": "/v1/prices"})

    def _create_price(self, request):
        form = parse_qs(request.body if isinstance(request.body, str) else request.body.decode())
        price = fixture("price")
        price.update(id=f"price_{uuid.uuid4().hex[:14]}", product=form["product"][0],
                     unit_amount=int(form["unit_amount"][0]), currency=form["currency"][0],
                     lookup_key=form["lookup_key"][0], recurring={**price["recurring"],
                                                                  "interval": form["recurring[interval]"][0]})
        self.prices.append(price)
        return 200, {}, json.dumps(price)

    # Events and webhooks ----------------------------------------------------------------------------------

    def events(self, types: tuple[str, ...] | None = None) -> list[dict]:
        """localstripe's events, oldest first (optionally only some types)."""
        found = [event.to_dict() for event in self.api.events.list(params={"limit": 100}).data]
        found = [event for event in found if types is None or event["type"] in types]
        return sorted(found, key=lambda event: (event["created"], event["id"]))

    @staticmethod
    def event(event_type: str, obj: dict) -> dict:
        """An event of a type localstripe never sends (invoice.paid, customer.subscription.updated...)."""
        return {"id": f"evt_test_{uuid.uuid4().hex[:16]}", "object": "event", "type": event_type,
                "api_version": "2025-10-29.clover", "created": int(time.time()), "livemode": False,
                "data": {"object": copy.deepcopy(obj)}}

    @staticmethod
    def sign(payload: str, timestamp: int | None = None, secret: str = WEBHOOK_SECRET) -> str:
        return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)

    def deliver(self, client, event: dict, **kwargs):
        payload = json.dumps(event)
        return client.post("/stripe/webhook", data=payload, content_type="application/json",
                           headers={"Stripe-Signature": self.sign(payload, **kwargs)})


def _pattern(base: str, path: str):
    import re
    return re.compile(re.escape(base + path) + r".*")


@pytest.fixture
def fake_stripe(localstripe_url):
    """Stripe with no data of anyone's, and the £8-a-year plan in place."""
    requests.delete(f"{localstripe_url}/_config/data", timeout=5).raise_for_status()
    fake = FakeStripe(localstripe_url)
    product = fake.api.products.create(params={"name": "Target CSF Leaks membership"})
    fake.api.plans.create(params={"id": PRICE_ID, "product": product.id, "amount": 800, "currency": "gbp",
                                  "interval": "year"})
    with fake.mock:
        yield fake


@pytest.fixture
def stripe_settings(localstripe_url):
    return {"STRIPE_SECRET_KEY": "sk_test_membership", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_PRICE_ID": PRICE_ID, "STRIPE_API_BASE": localstripe_url, "STRIPE_TIMEOUT_SECONDS": 5}
