"""Membership in a real browser: the demo site's whole journey (sign up, verify, join with the simulated payment,
the lounge opens, cancel, access to the end of the year, then rejoining), and Stripe's Checkout page reached
through the strict CSP after the join form is posted."""

import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from community.accounts import services as accounts
from community.extensions import db, utcnow
from community.membership import services as membership
from tests.browser.conftest import serve

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    with serve(tmp_path_factory, DEMO_MODE=True) as server:
        yield server


def _nav(page):
    return page.get_by_role("navigation", name="Main")


def _sign_up_and_log_in(page, server, email):
    page.goto(server.url + "/signup")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Display name").fill("Jo")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.goto(server.outbox.wait_for_link(email, "Confirm your email address"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="You are logged in")).to_be_visible()


def test_demo_join_lounge_cancel_and_rejoin(page, demo_server, check):
    email = f"joiner-{uuid.uuid4().hex[:8]}@example.org"
    _sign_up_and_log_in(page, demo_server, email)

    # Not a member yet: the lounge sends them to the membership page, which offers the labelled demo payment.
    page.goto(demo_server.url + "/lounge")
    expect(page.get_by_role("heading", level=1)).to_have_text("Membership")
    check(page)
    page.get_by_role("button", name="Simulate a payment (no money is taken)").click()
    expect(page.get_by_role("status").filter(has_text="No money was taken")).to_be_visible()
    check(page)
    assert "Welcome to Target CSF Leaks" in [m["Subject"] for m in demo_server.outbox.to(email)]

    _nav(page).get_by_role("link", name="Members’ lounge").click()
    expect(page).to_have_url(demo_server.url + "/lounge")

    # Cancel in one step: access carries on to the end of the paid year.
    page.goto(demo_server.url + "/membership")
    page.get_by_role("link", name="Stop my membership renewing").click()
    check(page)
    page.get_by_role("button", name="Stop my membership renewing").click()
    expect(page.get_by_role("status").filter(has_text="will not renew")).to_be_visible()
    expect(page.get_by_text("You are a member until")).to_be_visible()
    check(page)
    page.goto(demo_server.url + "/lounge")
    expect(page).to_have_url(demo_server.url + "/lounge")

    # The year ends (Stripe would now report the subscription cancelled): the lounge closes, rejoining is offered.
    with demo_server.app.app_context():
        user = accounts.find_user_by_email(email)
        membership.apply_subscription_state(user, "canceled", utcnow() - timedelta(minutes=1),
                                            "test: the paid year ended")
        db.session.remove()
    page.goto(demo_server.url + "/lounge")
    expect(page).to_have_url(demo_server.url + "/membership?next=/lounge")
    expect(page.get_by_role("heading", name="Join again")).to_be_visible()
    expect(page.get_by_role("button", name="Simulate a payment (no money is taken)")).to_be_visible()
    check(page)


class _CheckoutPage(BaseHTTPRequestHandler):
    """Stands in for Stripe's hosted Checkout page, on an origin of its own."""

    def do_GET(self):  # noqa: N802 - the name http.server calls
        body = b"<!doctype html><html lang='en'><title>Stripe Checkout</title><h1>Pay Target CSF Leaks</h1></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def checkout_site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CheckoutPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # "localhost", not 127.0.0.1: another origin than the app's, as Stripe's is.
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def stripe_server(tmp_path_factory, stripe_settings, fake_stripe, checkout_site):
    with serve(tmp_path_factory, **stripe_settings, STRIPE_REDIRECT_ORIGINS=[checkout_site]) as server:
        yield server


def test_the_join_form_reaches_stripe_checkout_through_the_csp(page, stripe_server, fake_stripe, checkout_site,
                                                               check):
    fake_stripe.checkout_origin = checkout_site
    email = f"payer-{uuid.uuid4().hex[:8]}@example.org"
    with stripe_server.app.app_context():
        accounts.create_verified_user(email, "Pat", PASSWORD)
        db.session.remove()
    page.goto(stripe_server.url + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.goto(stripe_server.url + "/membership")
    check(page)
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.get_by_role("button", name="Become a member: £8 a year").click()
    expect(page).to_have_url(f"{checkout_site}/c/pay/{next(iter(fake_stripe.checkout_sessions))}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay Target CSF Leaks")
    assert blocked == []

    # Paid: Stripe sends them back to the return page, which confirms it with Stripe before any webhook.
    session_id = next(iter(fake_stripe.checkout_sessions))
    page.goto(f"{stripe_server.url}/membership/welcome?session_id={session_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirming your payment…")
    check(page)
    fake_stripe.pay(session_id)
    page.get_by_role("button", name="Check again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Pat")
    check(page)
    page.goto(stripe_server.url + "/membership/gift-aid")
    check(page)
    page.get_by_role("button", name="Add Gift Aid").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter your postcode")
    check(page)
