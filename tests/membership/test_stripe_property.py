"""Property: whatever Stripe does to a subscription, and whatever order its webhooks arrive in, duplicated or
not, once they have all arrived the member's access is what Stripe's subscription says."""

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community.extensions import utcnow
from community.membership.models import StripeCustomer, subscription_gives_access
from community.permissions import has_member_access
from tests.conftest import fresh_schema, make_test_app, submit
from tests.factories import make_user


@pytest.fixture
def app(database_url, tmp_path, stripe_settings, fake_stripe):
    """Many people log in from one address here: the log-in rate limit is not what this test is about."""
    with fresh_schema(make_test_app(database_url, tmp_path, RATELIMIT_ENABLED=False, **stripe_settings)) as app:
        yield app


STRIPE_ACTIONS = ("stop_renewal", "resume", "fail_renewal", "cancel_now")


def _snapshot(fake_stripe, subscription_id):
    return fake_stripe.api.subscriptions.retrieve(subscription_id).to_dict()


def _act(fake_stripe, action, customer_id, subscription_id) -> list[dict]:
    """Do one thing to the subscription in Stripe; return the events Stripe would send about it."""
    status = fake_stripe.api.subscriptions.retrieve(subscription_id).status
    event = fake_stripe.event
    if status == "canceled":
        return []
    if action == "stop_renewal":
        fake_stripe.api.subscriptions.update(subscription_id, params={"cancel_at_period_end": True})
        return [event("customer.subscription.updated", _snapshot(fake_stripe, subscription_id))]
    if action == "resume":
        fake_stripe.api.subscriptions.update(subscription_id, params={"cancel_at_period_end": False})
        return [event("customer.subscription.updated", _snapshot(fake_stripe, subscription_id))]
    if action == "fail_renewal":
        invoice = fake_stripe.fail_renewal(customer_id, subscription_id)
        return [event("invoice.payment_failed", invoice),
                event("customer.subscription.updated", _snapshot(fake_stripe, subscription_id))]
    fake_stripe.api.subscriptions.cancel(subscription_id)
    return [event("customer.subscription.deleted", _snapshot(fake_stripe, subscription_id))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(st.sampled_from(STRIPE_ACTIONS), max_size=3), data=st.data())
def test_final_access_always_matches_stripes_final_subscription(actions, data, app, login, fake_stripe, db):
    client = app.test_client()  # each example is a new person in a new browser
    person = make_user()
    login(person, the_client=client)
    session_id = submit(client, "/membership/join", {}, page="/membership").location.rsplit("/", 1)[1]
    customer_id = db.session.get(StripeCustomer, person.id).customer_id
    subscription_id = fake_stripe.pay(session_id)
    invoice = fake_stripe.api.invoices.list(params={"customer": customer_id}).data[0].to_dict()
    events = [fake_stripe.checkout_completed_event(session_id),
              fake_stripe.event("customer.subscription.created", _snapshot(fake_stripe, subscription_id)),
              fake_stripe.event("invoice.paid", invoice)]
    for action in actions:
        events += _act(fake_stripe, action, customer_id, subscription_id)

    order = data.draw(st.permutations(events), label="delivery order")
    duplicates = data.draw(st.lists(st.sampled_from(events), max_size=4), label="duplicates")
    deliveries = list(order)
    for duplicate in duplicates:
        deliveries.insert(data.draw(st.integers(0, len(deliveries)), label="where"), duplicate)
    for event in deliveries:
        assert fake_stripe.deliver(client, event).status_code == 200

    final = fake_stripe.api.subscriptions.retrieve(subscription_id)
    period_end = datetime.fromtimestamp(final["current_period_end"], UTC)
    expected = subscription_gives_access(final.status, period_end, utcnow())
    db.session.expire_all()
    assert has_member_access(person) == expected, (actions, final.status, [e["type"] for e in deliveries])
    assert person.membership.status == final.status
    assert person.membership.cancel_at_period_end == bool(final["cancel_at_period_end"])
