"""Stripe failing under a member's click, and a webhook failing half-way (issue 13's faults), on loopback only.

Stripe is made unreachable for real: the app is pointed at a loopback port that refuses connections, or at one that
accepts them and never answers (its timeout must answer the person within STRIPE_TIMEOUT_SECONDS, retry
included). Every click that calls Stripe then says "please try again" (never a 500) and leaves nothing behind
that could spoil the next attempt; with Stripe back, the same person joins. A webhook whose work fails half-way
(Stripe down for the re-read, or the database refusing a write) answers non-2xx, is not recorded as done, keeps
nothing of its half-done work, and is applied exactly once when Stripe delivers it again.
"""

import contextlib
import re
import socket
import time

import pytest
import requests
import responses
from sqlalchemy import func, select, text

from community.membership import services
from community.membership.billing import UNAVAILABLE, UNAVAILABLE_CHECKING
from community.membership.models import (
    GiftAidDeclaration,
    MembershipChange,
    MembershipPayment,
    StripeCustomer,
    StripeEvent,
)
from community.membership.stripe_gateway import attempt_timeout
from tests.conftest import csrf_token_from, submit
from tests.factories import make_user

# How long the app may wait for Stripe in these tests (the production default is 15 s): both tries fit in it.
BUDGET = 1.5
# Room for the rest of the request around the wait, on a slow CI machine.
SLACK = 1.5
GIFT_AID = {"gift_aid": "y", "first_name": "Sam", "last_name": "Jones", "house": "12",
            "address": "High Street, Leeds", "postcode": "ls1 4ab"}


@pytest.fixture
def app(stripe_app):
    return stripe_app


@pytest.fixture
def stripe_down(app, fake_stripe):
    """`with stripe_down("refused"):` (or "silent") points the app's Stripe at a loopback port where nothing
    answers, for real (the fake's request mock lets these addresses through); Stripe is back afterwards."""

    @contextlib.contextmanager
    def outage(kind: str):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))  # held (so no one else takes the port), but not listening: refused at once
        if kind == "silent":
            sock.listen(16)  # the kernel completes each connection; nobody ever reads or answers
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        fake_stripe.mock.add_passthru(url)
        working = app.config["STRIPE_API_BASE"], app.config["STRIPE_TIMEOUT_SECONDS"]
        app.config.update(STRIPE_API_BASE=url, STRIPE_TIMEOUT_SECONDS=BUDGET)
        try:
            yield
        finally:
            app.config["STRIPE_API_BASE"], app.config["STRIPE_TIMEOUT_SECONDS"] = working
            sock.close()

    return outage


def row_counts(db) -> dict[str, int]:
    """How many rows every table holds: a click that failed must leave every one as it was."""
    db.session.expire_all()
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def timed_post(client, url: str, data: dict, page: str):
    """Post a form (with the CSRF token of its page); returns the response and how long the post alone took."""
    token = csrf_token_from(client.get(page).text)
    started = time.monotonic()
    response = client.post(url, data={**data, "csrf_token": token})
    return response, time.monotonic() - started


def join(client, data=None):
    return submit(client, "/membership/join", data or {}, page="/membership")


def join_and_pay(client, fake_stripe) -> tuple[str, str]:
    """Join and pay on Stripe's page (no webhook yet, not back yet); returns the Checkout session and subscription."""
    response = join(client)
    assert response.status_code == 303, response.text
    session_id = response.location.rsplit("/", 1)[1]
    return session_id, fake_stripe.pay(session_id)


def test_every_try_and_the_pause_between_fit_in_the_time_allowed():
    for total in (1.5, 5, 15):
        assert 2 * attempt_timeout(total) + 0.5 <= total


# A member's clicks while Stripe is down ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_joining_while_stripe_is_down_asks_to_try_again_then_works_once_it_is_back(
        kind, client, login, stripe_down, fake_stripe, db, outbox):
    person = make_user()
    login(person)
    before = row_counts(db)
    with stripe_down(kind):
        response, took = timed_post(client, "/membership/join", GIFT_AID, "/membership")
    assert response.status_code == 503
    assert UNAVAILABLE in response.text
    assert 'value="Jones"' in response.text and 'value="ls1 4ab"' in response.text  # nothing typed is lost
    assert took < BUDGET + SLACK
    assert row_counts(db) == before  # no customer, Gift Aid, membership, history or audit row: nothing half-made
    assert outbox.to(person.email) == []

    # Stripe is back: the same person joins, with one customer at Stripe and one of everything here.
    session_id, subscription_id = join_and_pay(client, fake_stripe)
    assert "you are now a member" in client.get(f"/membership/welcome?session_id={session_id}").text
    assert client.get("/lounge").status_code == 200
    assert person.membership.stripe_subscription_id == subscription_id
    assert len(fake_stripe.api.customers.list(params={"email": person.email}).data) == 1
    assert (count(db, StripeCustomer), count(db, MembershipChange)) == (1, 1)
    assert [m["Subject"] for m in outbox.to(person.email)] == ["Welcome to Target CSF Leaks"]


def test_stripe_failing_between_the_customer_and_the_checkout_page_leaves_a_customer_the_next_try_reuses(
        client, login, fake_stripe, db):
    person = make_user()
    login(person)
    checkout = f"{fake_stripe.base_url}/v1/checkout/sessions"
    fake_stripe.mock.remove(responses.POST, checkout)
    fake_stripe.mock.add(responses.POST, checkout, body=requests.ConnectionError("Connection reset by peer"))
    response = join(client, GIFT_AID)
    assert response.status_code == 503 and UNAVAILABLE in response.text
    # The customer Stripe made is kept (it is real, and empty); nothing else is.
    assert count(db, StripeCustomer) == 1
    assert (count(db, GiftAidDeclaration), person.membership) == (0, None)

    fake_stripe.mock.remove(responses.POST, checkout)
    fake_stripe.mock.add_callback(responses.POST, checkout, fake_stripe._create_checkout)
    response = join(client, GIFT_AID)
    assert response.status_code == 303
    customer = db.session.get(StripeCustomer, person.id)
    assert fake_stripe.checkout_requests[-1]["form"]["customer"] == [customer.customer_id]
    assert len(fake_stripe.api.customers.list(params={"email": person.email}).data) == 1
    assert count(db, GiftAidDeclaration) == 1


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_coming_back_from_checkout_while_stripe_is_down_asks_to_check_again_and_does_not_say_nothing_was_charged(
        kind, client, login, stripe_down, fake_stripe, db, outbox):
    person = make_user()
    login(person)
    session_id, _ = join_and_pay(client, fake_stripe)
    before = row_counts(db)
    with stripe_down(kind):
        started = time.monotonic()
        page = client.get(f"/membership/welcome?session_id={session_id}")
        took = time.monotonic() - started
    assert page.status_code == 503
    assert UNAVAILABLE_CHECKING in page.text and "You do not need to pay again" in page.text
    assert "Nothing has been charged" not in page.text  # they have just paid
    assert took < BUDGET + SLACK
    assert row_counts(db) == before and outbox.to(person.email) == []
    # "Check again" once Stripe is back.
    assert "you are now a member" in client.get(f"/membership/welcome?session_id={session_id}").text
    assert count(db, MembershipChange) == 1


@pytest.fixture
def paying_member(client, login, fake_stripe, db):
    person = make_user()
    login(person)
    session_id, person.subscription_id = join_and_pay(client, fake_stripe)
    client.get(f"/membership/welcome?session_id={session_id}")
    assert services.summarise(person).has_access
    return person


# Each click meets one kind of outage (joining and coming back meet both): the timeout is the same for all.
@pytest.mark.parametrize(("click", "kind"), [("/membership/manage", "silent"), ("/membership/stop-renewal", "refused")])
def test_managing_a_membership_while_stripe_is_down_asks_to_try_again_and_changes_nothing(
        click, kind, client, paying_member, stripe_down, fake_stripe, db, outbox):
    emails = len(outbox.to(paying_member.email))
    before = row_counts(db)
    with stripe_down(kind):
        response, took = timed_post(client, click, {}, "/membership" if click.endswith("manage") else click)
        assert response.status_code == 302 and response.location.endswith("/membership")
        page = client.get("/membership")
    assert took < BUDGET + SLACK
    assert UNAVAILABLE in page.text
    assert row_counts(db) == before and len(outbox.to(paying_member.email)) == emails
    db.session.expire_all()
    assert paying_member.membership.cancel_at_period_end is False
    assert fake_stripe.api.subscriptions.retrieve(paying_member.subscription_id).cancel_at_period_end is False
    # Stripe is back: the same click works.
    response = submit(client, click, {}, page="/membership" if click.endswith("manage") else click)
    if click.endswith("manage"):
        assert response.status_code == 303 and response.location.startswith("https://billing.stripe.com/")
    else:
        assert "will not renew" in client.get("/membership").text


def test_stopping_renewal_as_stripe_fails_just_after_making_the_change_says_it_is_done(
        client, paying_member, fake_stripe, db):
    """Stripe stops the renewal and answers, then fails as we re-read the customer's subscriptions: the member is
    told what Stripe did, not "nothing has changed"."""
    listing = re.compile(re.escape(f"{fake_stripe.base_url}/v1/subscriptions?"))
    fake_stripe.mock.add(responses.GET, listing, body=requests.ConnectionError("Connection reset by peer"))
    submit(client, "/membership/stop-renewal", {})
    page = client.get("/membership").text
    assert "will not renew" in page and UNAVAILABLE not in page
    assert fake_stripe.api.subscriptions.retrieve(paying_member.subscription_id).cancel_at_period_end is True
    db.session.expire_all()
    assert paying_member.membership.cancel_at_period_end is True
    assert services.summarise(paying_member).has_access


# A webhook failing half-way --------------------------------------------------------------------------------

@pytest.fixture
def paid_invoice_event(client, login, fake_stripe, db):
    """A person who paid at Checkout (no webhook yet, not back yet), and Stripe's `invoice.paid` event for it."""
    person = make_user()
    login(person)
    join_and_pay(client, fake_stripe)
    customer_id = db.session.get(StripeCustomer, person.id).customer_id
    invoice = fake_stripe.api.invoices.list(params={"customer": customer_id}).data[0].to_dict()
    invoice["status_transitions"] = {"paid_at": int(time.time())}
    return person, fake_stripe.event("invoice.paid", invoice)


def deliver(client, fake_stripe, event: dict):
    """One delivery of the event, signed afresh as Stripe signs each retry."""
    return fake_stripe.deliver(client, event)


def assert_applied_once(db, outbox, person, event):
    db.session.expire_all()
    row = db.session.get(StripeEvent, event["id"])
    assert (row.result, row.user_id) == ("processed", person.id)
    assert services.summarise(person).has_access
    assert count(db, MembershipPayment) == 1
    assert count(db, MembershipChange) == 1
    assert [m["Subject"] for m in outbox.to(person.email)] == ["Welcome to Target CSF Leaks"]


def test_a_webhook_failing_half_way_as_stripe_goes_down_is_applied_once_when_stripe_retries(
        app, client, login, paid_invoice_event, stripe_down, fake_stripe, db, outbox):
    person, event = paid_invoice_event
    before = row_counts(db)
    # The payment is noted, then Stripe cannot be reached to re-read the subscription; Stripe's first retry comes
    # while it is still down.
    with stripe_down("refused"):
        for _ in range(2):
            response = deliver(client, fake_stripe, event)
            assert response.status_code == 500 and response.json["result"] == "failed"
    row = db.session.get(StripeEvent, event["id"])
    assert (row.result, row.attempts) == ("failed", 2)  # not "processed": the retry will be let in
    assert "PaymentsUnavailable" in row.detail
    assert row_counts(db) == {**before, "stripe_event": before["stripe_event"] + 1}  # nothing half-done kept
    assert person.membership is None and outbox.to(person.email) == []
    # The admins see it failed, and how often.
    admin = app.test_client()
    login(make_user(role="admin"), the_client=admin)
    page = admin.get("/admin/stripe-events?result=failed").text
    assert event["id"] in page and '<span class="tag">Failed</span>' in page
    assert '<td data-label="Tries">2</td>' in page

    after = deliver(client, fake_stripe, event)  # Stripe's next retry, with Stripe reachable
    assert (after.status_code, after.json["result"]) == (200, "processed")
    assert db.session.get(StripeEvent, event["id"]).attempts == 3
    assert_applied_once(db, outbox, person, event)
    settled = row_counts(db)
    again = deliver(client, fake_stripe, event)  # one more delivery changes nothing
    assert (again.status_code, again.json["result"]) == (200, "duplicate")
    assert row_counts(db) == settled
    assert_applied_once(db, outbox, person, event)


def test_a_checkout_event_failing_half_way_keeps_no_link_to_the_customer(
        client, login, stripe_down, fake_stripe, db, outbox):
    """The join page could not save the customer (it crashed after Stripe made it): the event links them, then the
    re-read fails. The link goes with the rest, and comes back with the retry."""
    person = make_user()
    login(person)
    session_id, _ = join_and_pay(client, fake_stripe)
    db.session.delete(db.session.get(StripeCustomer, person.id))
    db.session.commit()
    event = fake_stripe.checkout_completed_event(session_id)
    with stripe_down("refused"):
        assert deliver(client, fake_stripe, event).status_code == 500
    assert count(db, StripeCustomer) == 0 and person.membership is None
    assert deliver(client, fake_stripe, event).json["result"] == "processed"
    db.session.expire_all()
    assert count(db, StripeCustomer) == 1 and services.summarise(person).has_access
    assert count(db, MembershipChange) == 1
    assert deliver(client, fake_stripe, event).json["result"] == "duplicate"
    assert [m["Subject"] for m in outbox.to(person.email)] == ["Welcome to Target CSF Leaks"]


REFUSE_HISTORY = {
    # The database refuses to write the history row, as a full disk or a broken constraint would.
    "sqlite": ["CREATE TRIGGER refuse_history BEFORE INSERT ON membership_change "
               "BEGIN SELECT RAISE(ABORT, 'could not write: disk full'); END"],
    "postgresql": ["CREATE FUNCTION refuse_history() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'could not write: disk full'; END $$",
                   "CREATE TRIGGER refuse_history BEFORE INSERT ON membership_change "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_history()"],
}
ALLOW_HISTORY = {
    "sqlite": ["DROP TRIGGER refuse_history"],
    "postgresql": ["DROP TRIGGER refuse_history ON membership_change", "DROP FUNCTION refuse_history()"],
}


def run_sql(db, statements: list[str]) -> None:
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def test_a_webhook_the_database_refuses_half_way_is_applied_once_when_stripe_retries(
        client, paid_invoice_event, database_backend, fake_stripe, db, outbox):
    person, event = paid_invoice_event
    before = row_counts(db)
    run_sql(db, REFUSE_HISTORY[database_backend])
    try:
        # Stripe was re-read and the payment and membership written; the history row is refused.
        response = deliver(client, fake_stripe, event)
    finally:
        run_sql(db, ALLOW_HISTORY[database_backend])
    assert response.status_code == 500
    row = db.session.get(StripeEvent, event["id"])
    assert row.result == "failed" and "disk full" in row.detail
    assert row_counts(db) == {**before, "stripe_event": before["stripe_event"] + 1}
    assert person.membership is None and outbox.to(person.email) == []

    assert deliver(client, fake_stripe, event).json["result"] == "processed"
    assert_applied_once(db, outbox, person, event)
    settled = row_counts(db)
    assert deliver(client, fake_stripe, event).json["result"] == "duplicate"
    assert row_counts(db) == settled

