"""The contact form: a message reaches the charity's address, robots get nothing through, mistakes keep what was
typed, and a few messages an hour is the most one address can send."""

import pytest

from community.pages import services, site_settings
from tests.conftest import submit

MESSAGE = {"name": "Robin Example", "email": "robin@example.org",
           "message": "Hello. Do you have a leaflet I could give my GP?"}


@pytest.fixture
def seeded(db):
    services.seed_pages()


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_message_reaches_the_charity_with_the_senders_address_to_reply_to(client, outbox, seeded):
    response = submit(client, "/contact", MESSAGE)
    assert response.status_code == 302 and response.location.endswith("/contact/sent")
    thanks = client.get(response.location).text
    assert "Thank you for your message" in thanks
    [email] = outbox.to("hello@targetcsfleaks.org.uk")
    assert email["Subject"] == "Contact form: message from Robin Example"
    text = body_of(email)
    assert "Reply to: robin@example.org" in text and "Do you have a leaflet I could give my GP?" in text


def test_messages_go_to_the_address_in_the_charity_settings(client, outbox, seeded):
    site_settings.update_settings(None, {"charity_email": "volunteers@example.org"})
    submit(client, "/contact", MESSAGE)
    assert len(outbox.to("volunteers@example.org")) == 1


def test_the_form_links_the_privacy_notice_and_hides_the_trap_from_people(client, seeded):
    page = client.get("/contact").text
    assert 'We use your details only to reply to you: see our <a href="/privacy">privacy notice</a>' in page
    trap = page.split('<div class="visually-hidden">', 1)[1].split("</div>", 1)[0]
    assert '<label for="website">Leave this empty</label>' in trap
    assert 'tabindex="-1"' in trap and 'autocomplete="off"' in trap


def test_a_robot_filling_the_trap_is_thanked_but_nothing_is_sent(client, outbox, seeded):
    response = submit(client, "/contact", {**MESSAGE, "website": "https://spam.example"})
    assert response.status_code == 302 and response.location.endswith("/contact/sent")
    assert outbox.messages == []


def test_mistakes_are_explained_and_everything_typed_comes_back(client, outbox, seeded):
    long = "Words. " * 800
    response = submit(client, "/contact", {"name": "Robin", "email": "robin at example", "message": long})
    assert response.status_code == 400
    text = response.text
    assert "<title>Error: Contact us" in text
    assert "Enter an email address in the right format, like name@example.com" in text
    assert "longer than 5,000 characters" in text
    assert 'value="Robin"' in text and 'value="robin at example"' in text and long.strip() in text
    assert outbox.messages == []


def test_an_empty_form_asks_for_an_address_and_a_message(client, seeded):
    text = submit(client, "/contact", {"name": "", "email": "", "message": ""}).text
    assert "Enter your email address, so we can reply" in text and "Write your message" in text


def test_if_the_email_cannot_be_sent_the_person_is_told_and_keeps_their_words(client, seeded, monkeypatch):
    monkeypatch.setattr(services, "send_email", lambda *args, **kwargs: False)
    response = submit(client, "/contact", MESSAGE)
    assert response.status_code == 503
    assert "we could not send your message just now" in response.text
    assert "Do you have a leaflet I could give my GP?" in response.text


def test_a_logged_in_person_finds_their_address_filled_in(client, as_role, seeded):
    user = as_role("registered")
    assert f'value="{user.email}"' in client.get("/contact").text


def test_three_messages_an_hour_from_one_address(client, outbox, seeded):
    for number in range(3):
        assert submit(client, "/contact", {**MESSAGE, "message": f"Message {number}"}).status_code == 302
    response = submit(client, "/contact", {**MESSAGE, "message": "One too many"})
    assert response.status_code == 429
    assert len(outbox.messages) == 3


def test_mistakes_do_not_count_towards_the_limit(client, outbox, seeded):
    for _ in range(4):
        assert submit(client, "/contact", {**MESSAGE, "email": "oops"}).status_code == 400
    assert submit(client, "/contact", MESSAGE).status_code == 302


def test_a_name_cannot_add_lines_to_the_email_header(client, outbox, seeded):
    submit(client, "/contact", {**MESSAGE, "name": "Robin\r\nBcc: everyone@example.org"})
    [email] = outbox.messages
    assert email["Bcc"] is None and "\n" not in email["Subject"]
