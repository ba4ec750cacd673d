"""Stripe's webhooks: only Stripe's signature is believed, each event acts once, and membership always ends up as
Stripe's subscription says, whatever the order, the duplicates, or a failure on the way."""

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import utcnow
from community.membership import services
from community.membership.models import MembershipChange, MembershipPayment, StripeCustomer, StripeEvent
from tests.conftest import submit
from tests.factories import make_user


@pytest.fixture
def app(stripe_app):
    return stripe_app


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def joined(client, login, fake_stripe, db):
    """A person who went to Checkout and paid; no webhook has arrived and they have not come back yet."""
    person = make_user()
    login(person)
    session_id = submit(client, "/membership/join", {}, page="/membership").location.rsplit("/", 1)[1]
    subscription_id = fake_stripe.pay(session_id)
    person.session_id, person.subscription_id = session_id, subscription_id
    person.customer_id = db.session.get(StripeCustomer, person.id).customer_id
    return person


def test_checkout_completed_makes_a_member(client, joined, fake_stripe, db, outbox):
    response = fake_stripe.deliver(client, fake_stripe.checkout_completed_event(joined.session_id))
    assert response.status_code == 200
    assert client.get("/lounge").status_code == 200
    assert joined.membership.stripe_subscription_id == joined.subscription_id
    assert joined.membership.renewal_amount_pence == 800
    assert [m["Subject"] for m in outbox.to(joined.email)] == ["Welcome to Target CSF Leaks"]
    event = db.session.scalar(select(StripeEvent))
    assert (event.result, event.user_id) == ("processed", joined.id)


def test_the_real_subscription_events_from_stripe_make_a_member(client, joined, fake_stripe, db):
    events = fake_stripe.events(("customer.subscription.created",))
    assert events, "localstripe sent no subscription event"
    for event in events:
        assert fake_stripe.deliver(client, event).status_code == 200
    assert services.summarise(joined).has_access


# Forgeries --------------------------------------------------------------------------------------------------

def _post(client, payload: str, signature: str | None):
    headers = {"Stripe-Signature": signature} if signature is not None else {}
    return client.post("/stripe/webhook", data=payload, content_type="application/json", headers=headers)


FORGERIES = {
    "missing signature": lambda payload, fake: None,
    "empty signature": lambda payload, fake: "",
    "wrong secret": lambda payload, fake: fake.sign(payload, secret="whsec_someone_else"),
    "tampered body": lambda payload, fake: fake.sign(payload.replace("cus_", "cus_x")),
    "garbage header": lambda payload, fake: "t=abc,v1=zzz",
    "signed 6 minutes ago": lambda payload, fake: fake.sign(payload, timestamp=int(time.time()) - 360),
    "signed 6 minutes ahead": lambda payload, fake: fake.sign(payload, timestamp=int(time.time()) + 360),
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_webhook_is_refused_and_changes_nothing(forgery, client, joined, fake_stripe, db):
    payload = json.dumps(fake_stripe.checkout_completed_event(joined.session_id))
    signature = FORGERIES[forgery](payload, fake_stripe)
    if forgery == "tampered body":
        payload = payload.replace("cus_", "cus_x")
        signature = fake_stripe.sign(json.dumps(fake_stripe.checkout_completed_event(joined.session_id)))
    response = _post(client, payload, signature)
    assert response.status_code == 400
    assert count(db, StripeEvent) == 0
    assert joined.membership is None


def test_a_signature_within_five_minutes_either_way_is_accepted(client, joined, fake_stripe, db):
    for offset in (-240, 240):
        event = fake_stripe.checkout_completed_event(joined.session_id)
        assert fake_stripe.deliver(client, event, timestamp=int(time.time()) + offset).status_code == 200
    assert count(db, StripeEvent) == 2


# Once, and in any order -------------------------------------------------------------------------------------

def test_a_duplicate_event_is_answered_200_and_acts_once(client, joined, fake_stripe, db, outbox):
    event = fake_stripe.checkout_completed_event(joined.session_id)
    assert fake_stripe.deliver(client, event).status_code == 200
    again = fake_stripe.deliver(client, event)
    assert again.status_code == 200 and again.json["result"] == "duplicate"
    assert count(db, StripeEvent) == 1
    assert count(db, MembershipChange) == 1
    assert len(outbox.to(joined.email)) == 1


def test_five_deliveries_of_one_event_at_once_make_exactly_one_change(app, joined, fake_stripe, db, outbox):
    event = fake_stripe.checkout_completed_event(joined.session_id)
    answers = []
    start = threading.Barrier(5)

    def deliver():
        with app.test_client() as client:
            start.wait()
            answers.append(fake_stripe.deliver(client, event))

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [200] * 5
    assert sorted(answer.json["result"] for answer in answers) == ["duplicate"] * 4 + ["processed"]
    db.session.expire_all()
    assert count(db, MembershipChange) == 1
    assert len(outbox.to(joined.email)) == 1


def test_a_late_created_event_after_cancellation_leaves_the_member_cancelled(client, joined, fake_stripe, db):
    created = fake_stripe.events(("customer.subscription.created",))
    fake_stripe.api.subscriptions.cancel(joined.subscription_id)
    deleted = fake_stripe.events(("customer.subscription.deleted",))
    for event in deleted + created:  # the older event arrives last
        fake_stripe.deliver(client, event)
    assert joined.membership.status == "canceled"


def test_an_event_for_an_unknown_customer_is_recorded_and_creates_nothing(client, fake_stripe, db):
    customer = fake_stripe.api.customers.create(params={"email": "stranger@example.org"})
    fake_stripe.subscribe(customer.id)
    for event in fake_stripe.events(("customer.subscription.created",)):
        assert fake_stripe.deliver(client, event).status_code == 200
    event = db.session.scalar(select(StripeEvent))
    assert event.result == "ignored" and "unknown customer" in event.detail
    assert count(db, StripeCustomer) == 0 and count(db, MembershipChange) == 0


def test_an_event_that_fails_answers_500_stays_failed_and_succeeds_when_retried(app, client, joined, fake_stripe,
                                                                               db):
    event = fake_stripe.checkout_completed_event(joined.session_id)
    working = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # Stripe unreachable while we re-read the subscription
    assert fake_stripe.deliver(client, event).status_code == 500
    row = db.session.scalar(select(StripeEvent))
    assert row.result == "failed" and "PaymentsUnavailable" in row.detail
    assert joined.membership is None
    app.config["STRIPE_API_BASE"] = working
    assert fake_stripe.deliver(client, event).status_code == 200  # Stripe's retry
    db.session.expire_all()
    row = db.session.scalar(select(StripeEvent))
    assert (row.result, row.attempts) == ("processed", 2)
    assert services.summarise(joined).has_access


# The lifecycle ----------------------------------------------------------------------------------------------

def test_invoice_paid_records_the_payment_once(app, client, login, joined, fake_stripe, db):
    invoice = fake_stripe.api.invoices.list(params={"customer": joined.customer_id}).data[0].to_dict()
    invoice["status_transitions"] = {"paid_at": int(time.time())}
    for _ in range(2):
        fake_stripe.deliver(client, fake_stripe.event("invoice.paid", invoice))
    payment = db.session.scalar(select(MembershipPayment))
    assert (payment.amount_pence, payment.currency, payment.user_id) == (800, "gbp", joined.id)
    assert count(db, MembershipPayment) == 1
    # An admin sees it on the member's page, with the Stripe customer to look up.
    admin_client = app.test_client()
    login(make_user(role="admin"), the_client=admin_client)
    page = admin_client.get(f"/admin/members/{joined.id}").text
    assert ": £8.00" in page and joined.customer_id in page


def test_a_failed_renewal_keeps_access_shows_a_banner_everywhere_and_emails_once(client, joined, fake_stripe, db,
                                                                                 outbox):
    fake_stripe.deliver(client, fake_stripe.checkout_completed_event(joined.session_id))
    fake_stripe.fail_renewal(joined.customer_id, joined.subscription_id)
    assert fake_stripe.api.subscriptions.retrieve(joined.subscription_id).status == "past_due"
    for event in fake_stripe.events(("invoice.payment_failed", "customer.subscription.updated")) or [
            fake_stripe.event("invoice.payment_failed", {"customer": joined.customer_id})]:
        fake_stripe.deliver(client, event)
    fake_stripe.deliver(client, fake_stripe.event("invoice.payment_failed", {"customer": joined.customer_id}))
    assert joined.membership.status == "past_due"
    assert client.get("/lounge").status_code == 200
    for page in ("/lounge", "/resources", "/account"):
        assert "Your last membership payment did not go through" in client.get(page).text
    assert "Update your card" in client.get("/membership").text
    subjects = [m["Subject"] for m in outbox.to(joined.email)]
    assert subjects.count("Your membership payment did not go through") == 1


def test_cancelled_keeps_access_until_the_paid_period_ends_then_offers_rejoining(client, joined, fake_stripe, db,
                                                                                 outbox):
    fake_stripe.deliver(client, fake_stripe.checkout_completed_event(joined.session_id))
    fake_stripe.api.subscriptions.cancel(joined.subscription_id)
    for event in fake_stripe.events(("customer.subscription.deleted",)):
        fake_stripe.deliver(client, event)
    assert joined.membership.status == "canceled"
    assert client.get("/lounge").status_code == 200
    # The paid year runs out (Stripe sends nothing then): access ends, and the cron job says so once.
    services.apply_subscription_state(joined, "canceled", utcnow() + timedelta(days=400), "test")
    joined.membership.current_period_end = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/lounge").status_code in (302, 403)
    assert "Join again" in client.get("/membership").text


def test_a_cancelled_subscription_never_ends_a_free_membership(client, joined, fake_stripe, db):
    admin = make_user(role="admin")
    services.grant_complimentary(admin, joined, None, "hardship waiver")
    fake_stripe.api.subscriptions.cancel(joined.subscription_id)
    for event in fake_stripe.events(("customer.subscription.deleted",)):
        fake_stripe.deliver(client, event)
    assert joined.membership.source == "complimentary" and services.summarise(joined).has_access
