"""Joining through Stripe Checkout: the join form, the return page, the Customer Portal, and Stripe failing."""

import socket
import threading

import pytest
from sqlalchemy import func, select

from community.extensions import utcnow
from community.membership.models import GiftAidDeclaration, MembershipChange, StripeCustomer
from tests.conftest import submit
from tests.factories import make_member, make_user


@pytest.fixture
def app(stripe_app):
    return stripe_app


GIFT_AID = {"gift_aid": "y", "first_name": "Sam", "last_name": "Jones", "house": "12", "address": "High Street, Leeds",
            "postcode": "ls1 4ab"}


def join(client, data=None):
    return submit(client, "/membership/join", data or {}, page="/membership")


def test_joining_sends_the_person_to_stripe_checkout_for_their_own_customer(client, login, fake_stripe, db):
    person = make_user()
    login(person)
    response = join(client)
    assert response.status_code == 303
    assert response.location.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    sent = fake_stripe.checkout_requests[0]
    assert sent["form"]["client_reference_id"] == [str(person.id)]
    assert sent["form"]["mode"] == ["subscription"]
    assert sent["idempotency_key"]
    customer = db.session.get(StripeCustomer, person.id)
    assert sent["form"]["customer"] == [customer.customer_id]
    assert fake_stripe.api.customers.retrieve(customer.customer_id).email == person.email
    # The browser checks a form's redirect against the form page's form-action: only this page allows Stripe's.
    policy = client.get("/membership").headers["Content-Security-Policy"]
    assert "form-action 'self' https://checkout.stripe.com https://billing.stripe.com;" in policy
    assert "form-action 'self';" in client.get("/account").headers["Content-Security-Policy"]


def test_a_second_tap_on_join_reuses_the_open_checkout_page(client, login, fake_stripe, db):
    login(make_user())
    first = join(client)
    second = join(client)
    assert first.location == second.location
    assert len(fake_stripe.checkout_requests) == 1
    assert db.session.scalar(select(func.count()).select_from(StripeCustomer)) == 1


def test_coming_back_from_checkout_makes_a_member_before_any_webhook(client, login, fake_stripe, db, outbox):
    person = make_user()
    login(person)
    session_id = join(client).location.rsplit("/", 1)[1]
    assert "Confirming your payment" in client.get(f"/membership/welcome?session_id={session_id}").text
    fake_stripe.pay(session_id)
    page = client.get(f"/membership/welcome?session_id={session_id}")
    assert "you are now a member" in page.text
    assert "Members’ lounge" in client.get("/lounge").text
    assert client.get("/lounge").status_code == 200
    assert [m["Subject"] for m in outbox.to(person.email)][-1] == "Welcome to Target CSF Leaks"
    # Coming back again (a reload, the back button) changes nothing and sends nothing more.
    client.get(f"/membership/welcome?session_id={session_id}")
    assert db.session.scalar(select(func.count()).select_from(MembershipChange)) == 1
    assert len(outbox.to(person.email)) == 1


def test_a_member_is_not_sent_to_pay_twice(client, login, fake_stripe):
    login(make_member())
    response = join(client)
    assert response.status_code == 302 and response.location.endswith("/membership")
    assert "already a member" in client.get("/membership").text
    assert fake_stripe.checkout_requests == []
    assert "Become a member" not in client.get("/membership").text


def test_a_forged_or_someone_elses_return_link_grants_nothing(client, app, login, fake_stripe, db):
    payer = make_user()
    login(payer)
    session_id = join(client).location.rsplit("/", 1)[1]
    fake_stripe.pay(session_id)
    other = app.test_client()
    intruder = make_user()
    login(intruder, the_client=other)
    for forged in (session_id, "cs_test_made_up", "x" * 5000, "../../v1/customers"):
        page = other.get("/membership/welcome", query_string={"session_id": forged})
        assert page.status_code == 200
        assert "could not match this payment" in page.text
    assert intruder.membership is None
    assert other.get("/lounge").status_code in (302, 403)


def test_gift_aid_is_recorded_with_its_wording_version_when_joining(client, login, fake_stripe, db):
    person = make_user()
    login(person)
    assert join(client, GIFT_AID).status_code == 303
    declaration = db.session.scalar(select(GiftAidDeclaration))
    assert (declaration.first_name, declaration.postcode, declaration.wording_version) == ("Sam", "LS1 4AB",
                                                                                          "2026-11")
    assert declaration.declared_at <= utcnow()


def test_gift_aid_ticked_without_details_is_refused_and_nothing_goes_to_stripe(client, login, fake_stripe, db):
    login(make_user())
    response = join(client, {**GIFT_AID, "postcode": "", "house": ""})
    assert response.status_code == 400
    assert "Enter your postcode" in response.text and "Enter your house name or number" in response.text
    assert 'value="Sam"' in response.text  # nothing typed is lost
    assert fake_stripe.checkout_requests == []
    assert db.session.scalar(select(func.count()).select_from(GiftAidDeclaration)) == 0


def test_a_member_cancels_gift_aid(client, login, fake_stripe, db):
    person = make_member()
    login(person)
    response = submit(client, "/membership/gift-aid", {k: v for k, v in GIFT_AID.items() if k != "gift_aid"})
    assert response.status_code == 302
    assert "You made a Gift Aid declaration" in client.get("/membership").text
    submit(client, "/membership/gift-aid/cancel", {}, page="/membership")
    declaration = db.session.scalar(select(GiftAidDeclaration))
    assert declaration.cancelled_at is not None
    assert "You made a Gift Aid declaration" not in client.get("/membership").text


def test_the_portal_button_goes_to_stripe_for_this_member(client, login, fake_stripe, db):
    person = make_user()
    login(person)
    session_id = join(client).location.rsplit("/", 1)[1]
    fake_stripe.pay(session_id)
    client.get(f"/membership/welcome?session_id={session_id}")
    response = submit(client, "/membership/manage", {}, page="/membership")
    assert response.status_code == 303
    assert response.location.startswith("https://billing.stripe.com/p/session/")


def test_stop_renewal_in_one_step_keeps_access_to_the_end_of_the_year(client, login, fake_stripe, db):
    person = make_user()
    login(person)
    session_id = join(client).location.rsplit("/", 1)[1]
    subscription_id = fake_stripe.pay(session_id)
    client.get(f"/membership/welcome?session_id={session_id}")
    page = client.get("/membership/stop-renewal")
    assert "You keep full access until" in page.text
    submit(client, "/membership/stop-renewal", {})
    assert fake_stripe.api.subscriptions.retrieve(subscription_id).cancel_at_period_end is True
    assert "will not renew" in client.get("/membership").text
    assert client.get("/lounge").status_code == 200


@pytest.fixture
def unreachable_stripe(app):
    """A port where nothing listens: Stripe is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_stripe(app):
    """A server that accepts connections and never answers: Stripe is hanging."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{listener.getsockname()[1]}"
    app.config["STRIPE_TIMEOUT_SECONDS"] = 1
    yield
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.mark.parametrize("outage", ["unreachable_stripe", "silent_stripe"])
def test_stripe_down_or_hanging_asks_to_try_again_and_changes_nothing(outage, request, client, login, db):
    login(make_user())
    request.getfixturevalue(outage)
    response = join(client, GIFT_AID)
    assert response.status_code == 503
    assert "Please try again in a few minutes" in response.text
    assert 'value="Jones"' in response.text
    assert db.session.scalar(select(func.count()).select_from(StripeCustomer)) == 0
    assert db.session.scalar(select(func.count()).select_from(GiftAidDeclaration)) == 0


def test_membership_pages_never_repeat_an_id(client, login, fake_stripe):
    from tests.core.test_unique_ids import duplicate_ids

    login(make_user())
    pages = {"/membership": client.get("/membership").text,
             "/membership (refused)": join(client, {**GIFT_AID, "postcode": ""}).text}
    session_id = join(client).location.rsplit("/", 1)[1]
    fake_stripe.pay(session_id)
    for url in (f"/membership/welcome?session_id={session_id}", "/membership", "/membership/gift-aid",
                "/membership/stop-renewal"):
        pages[url] = client.get(url).text
    assert {url: ids for url, html in pages.items() if (ids := duplicate_ids(html))} == {}
