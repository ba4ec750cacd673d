"""Erasing a paying member's account stops their Stripe subscription at once; with Stripe out of reach nothing is
erased (their card would otherwise go on being charged for an account that no longer exists)."""

import pytest
from sqlalchemy import select

from community.accounts.models import User
from community.extensions import db
from community.membership.models import Membership, StripeCustomer
from tests.conftest import submit
from tests.factories import make_user


@pytest.fixture
def app(stripe_app):
    return stripe_app


@pytest.fixture
def paying(client, login, fake_stripe, db):
    """A member who paid through Checkout, with the webhook applied."""
    person = make_user()
    login(person)
    session_id = submit(client, "/membership/join", {}, page="/membership").location.rsplit("/", 1)[1]
    subscription_id = fake_stripe.pay(session_id)
    assert fake_stripe.deliver(client, fake_stripe.checkout_completed_event(session_id)).status_code == 200
    membership = db.session.scalar(select(Membership).where(Membership.user_id == person.id))
    assert membership.status == "active" and membership.stripe_subscription_id == subscription_id
    person.subscription_id = subscription_id
    return person


def test_erasing_a_paying_member_cancels_their_subscription_in_stripe(client, paying, fake_stripe):
    assert submit(client, "/privacy/erase", {"writing": "keep", "understood": "y"}).status_code == 302
    assert fake_stripe.api.subscriptions.retrieve(paying.subscription_id).status == "canceled"
    assert db.session.get(User, paying.id) is None
    assert db.session.scalar(select(StripeCustomer)) is None


def test_with_stripe_out_of_reach_nothing_is_erased_and_the_member_is_told(app, client, paying, fake_stripe):
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    app.config["STRIPE_TIMEOUT_SECONDS"] = 2
    response = submit(client, "/privacy/erase", {"writing": "delete", "understood": "y"})
    assert response.status_code == 400 and "nothing has been erased yet" in response.text
    assert db.session.get(User, paying.id) is not None
    assert db.session.scalar(select(Membership).where(Membership.user_id == paying.id)).status == "active"
    assert fake_stripe.api.subscriptions.retrieve(paying.subscription_id).status == "active"
