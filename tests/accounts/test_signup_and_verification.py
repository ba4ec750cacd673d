"""Signing up, confirming an email address, and the rules on passwords."""

from community.accounts.models import User
from tests.conftest import path_of, submit
from tests.factories import PASSWORD, make_user


def signup(client, email="new@example.org", name="Robin", password=PASSWORD):
    return submit(client, "/signup", {"email": email, "display_name": name, "password": password})


def test_signup_creates_an_unverified_account_and_emails_a_link(client, db, outbox):
    response = signup(client, email="  New@Example.org ")
    assert response.status_code == 200 and "Check your email" in response.text
    user = db.session.scalar(db.select(User))
    assert user.email == "new@example.org" and not user.is_verified
    (message,) = outbox.to("new@example.org")
    assert message["Subject"] == "Confirm your email address"
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "You are getting this email because someone signed up" in plain
    assert "/verify/" in plain and "/verify/" in html


def test_the_form_says_a_pseudonym_is_welcome(client):
    assert "A first name or a pseudonym is welcome" in client.get("/signup").text


def test_verification_link_confirms_the_address_and_invites_a_log_in(client, db, outbox, login):
    signup(client)
    response = client.get(path_of(outbox.last_link("new@example.org")))
    assert response.status_code == 302 and response.location == "/login"
    user = db.session.scalar(db.select(User))
    assert user.is_verified
    assert "Your email address is confirmed. You can log in now." in client.get(response.location).text
    assert login(user).status_code == 302


def test_a_verification_link_opened_twice_at_once_confirms_once(client, db, outbox):
    signup(client)
    link = path_of(outbox.last_link("new@example.org"))
    assert client.get(link).status_code == 302
    first_confirmed_at = db.session.scalar(db.select(User)).email_verified_at
    assert client.get(link).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(db.select(User)).email_verified_at == first_confirmed_at


def test_a_tampered_verification_link_is_refused_kindly(client, db, outbox):
    signup(client)
    response = client.get(path_of(outbox.last_link("new@example.org")) + "x")
    assert response.status_code == 400
    assert "This link does not work any more" in response.text
    assert not db.session.scalar(db.select(User)).is_verified


def test_signing_up_with_a_taken_address_tells_its_owner_and_nobody_else(client, db, outbox):
    make_user("taken@example.org", display_name="Owner")
    response = signup(client, email="TAKEN@example.org")
    assert response.status_code == 200 and "Check your email" in response.text
    assert "<title>Error: " not in response.text
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1
    (notice,) = outbox.to("taken@example.org")
    plain = notice.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Owner" in plain and "/reset-password" in plain and "/login" in plain


def test_too_short_and_common_passwords_are_refused(client, db):
    short = signup(client, password="short")
    assert "at least 8 characters" in short.text
    common = signup(client, password="password123")
    assert "one of the most common" in common.text
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_a_failed_signup_keeps_what_was_typed_except_the_password(client):
    response = signup(client, email="not-an-email", name="Sunflower", password="short")
    assert 'value="Sunflower"' in response.text
    assert 'value="not-an-email"' in response.text
    assert "short" not in response.text.split("<main", 1)[1].split("</main>")[0].replace("shortly", "")
    assert 'class="error-summary"' in response.text and "autofocus" in response.text
    assert 'href="#email"' in response.text
    # Every problem is listed at once, not one round at a time.
    assert 'href="#password"' in response.text and "at least 8 characters" in response.text


def test_passwords_are_stored_as_argon2id_hashes(db, client):
    signup(client)
    user = db.session.scalar(db.select(User))
    assert user.password_hash.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in user.password_hash
    assert PASSWORD not in user.password_hash


def test_signing_up_with_someone_elses_address_first_gets_a_squatter_nothing(client, db, outbox, login):
    """An attacker signs up with a victim's address and their own password: they cannot log in (which would
    tell them the address was free), and the victim signing up later takes the account over."""
    signup(client, email="victim@example.org", password="the attackers own password")
    squatters_link = path_of(outbox.last_link("victim@example.org"))
    user = db.session.scalar(db.select(User))
    assert login(user, password="the attackers own password").status_code == 200

    signup(app_client := client.application.test_client(), email="victim@example.org", name="Victim")
    victims_link = path_of(outbox.last_link("victim@example.org"))
    db.session.expire_all()  # the sign-up finished after its response, in a database session of its own
    assert client.get(squatters_link).status_code == 400, "the earlier link died with the earlier password"
    assert app_client.get(victims_link).status_code == 302
    db.session.refresh(user)
    assert user.is_verified and user.display_name == "Victim"
    assert login(user, password="the attackers own password").status_code == 200
    assert login(user, the_client=app_client).status_code == 302
