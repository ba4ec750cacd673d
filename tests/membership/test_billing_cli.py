"""`flask billing setup`, `reconcile` and `remind`: the commands an admin and cron run."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from community.extensions import utcnow
from community.membership import services
from community.membership.models import StripeCustomer
from tests.conftest import submit
from tests.factories import make_user


@pytest.fixture
def app(stripe_app):
    return stripe_app


def test_setup_creates_the_price_once_and_prints_its_id(runner, fake_stripe):
    first = runner.invoke(args=["billing", "setup"])
    assert first.exit_code == 0, first.output
    price = fake_stripe.prices[0]
    assert (price["unit_amount"], price["currency"], price["recurring"]["interval"]) == (800, "gbp", "year")
    assert f"STRIPE_PRICE_ID={price['id']}" in first.output
    second = runner.invoke(args=["billing", "setup"])
    assert second.exit_code == 0 and price["id"] in second.output
    assert len(fake_stripe.prices) == 1


def test_setup_without_a_key_says_what_to_do(app, runner):
    app.config["STRIPE_SECRET_KEY"] = None
    result = runner.invoke(args=["billing", "setup"])
    assert result.exit_code != 0 and "Set STRIPE_SECRET_KEY first" in result.output


@pytest.fixture
def paying_member(client, login, fake_stripe, db):
    person = make_user()
    login(person)
    session_id = submit(client, "/membership/join", {}, page="/membership").location.rsplit("/", 1)[1]
    person.subscription_id = fake_stripe.pay(session_id)
    client.get(f"/membership/welcome?session_id={session_id}")
    person.customer_id = db.session.get(StripeCustomer, person.id).customer_id
    return person


def test_reconcile_corrects_drift_after_missed_webhooks(runner, paying_member, fake_stripe, db):
    fake_stripe.api.subscriptions.cancel(paying_member.subscription_id)  # no webhook reaches us
    assert paying_member.membership.status == "active"
    result = runner.invoke(args=["billing", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "Checked 1 Stripe customers: 1 corrected" in result.output
    db.session.expire_all()
    assert paying_member.membership.status == "canceled"
    again = runner.invoke(args=["billing", "reconcile"])
    assert "0 corrected" in again.output


def test_reconcile_with_stripe_down_fails_loudly_and_changes_nothing(app, runner, paying_member):
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    result = runner.invoke(args=["billing", "reconcile"])
    assert result.exit_code == 1 and "1 could not be read" in result.output
    assert paying_member.membership.status == "active"


def test_the_renewal_reminder_goes_once_with_amount_date_and_one_step_cancel(runner, paying_member, outbox, db):
    membership = paying_member.membership
    services.apply_subscription_state(paying_member, "active", utcnow() + timedelta(days=10), "test: renews soon",
                                      membership.stripe_subscription_id, renewal_amount_pence=800)
    assert runner.invoke(args=["billing", "remind"]).output.startswith("Sent 1 ")
    assert runner.invoke(args=["billing", "remind"]).output.startswith("Sent 0 ")
    reminder = outbox.to(paying_member.email)[-1]
    body = reminder.get_body(preferencelist=("plain",)).get_content()
    assert reminder["Subject"] == "Your membership renews soon"
    assert "£8.00" in body and "/membership/stop-renewal" in body
    assert services.summarise(paying_member).has_access


def test_no_reminder_when_renewal_is_far_off_or_stopped(runner, paying_member, db):
    membership = paying_member.membership
    assert runner.invoke(args=["billing", "remind"]).output.startswith("Sent 0 ")  # a year away
    services.apply_subscription_state(paying_member, "active", utcnow() + timedelta(days=10), "test",
                                      membership.stripe_subscription_id, cancel_at_period_end=True)
    assert runner.invoke(args=["billing", "remind"]).output.startswith("Sent 0 ")


def test_a_cancelled_year_that_runs_out_is_told_once(runner, paying_member, outbox, db):
    membership = paying_member.membership
    services.apply_subscription_state(paying_member, "canceled", utcnow() + timedelta(days=30), "test",
                                      membership.stripe_subscription_id)
    membership.current_period_end = utcnow() - timedelta(hours=1)  # the paid year ran out; Stripe sends nothing
    db.session.commit()
    assert runner.invoke(args=["billing", "remind"]).output.startswith("Sent 1 ")
    assert runner.invoke(args=["billing", "remind"]).output.startswith("Sent 0 ")
    assert [m["Subject"] for m in outbox.to(paying_member.email)].count(
        "Your Target CSF Leaks membership has ended") == 1
    assert db.session.scalar(select(StripeCustomer.customer_id)) == paying_member.customer_id
