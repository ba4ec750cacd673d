"""Email goes through a real SMTP server on loopback (aiosmtpd), with plain and HTML parts and its reason."""

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from community.accounts.models import User
from community.extensions import db
from tests.conftest import fresh_schema, make_test_app, submit
from tests.factories import PASSWORD


class Collect(Sink):
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def smtp_app(database_url, tmp_path, smtp_server):
    controller, _ = smtp_server
    app = make_test_app(database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                        MAIL_USE_TLS=False, SITE_URL="https://community.example.org")
    with fresh_schema(app):
        yield app


def test_signup_email_arrives_over_smtp_with_both_parts_and_why_it_was_sent(smtp_app, smtp_server, tmp_path):
    _, handler = smtp_server
    client = smtp_app.test_client()
    response = submit(client, "/signup", {"email": "real@example.org", "display_name": "Lee", "password": PASSWORD})
    assert response.status_code == 200
    (recipients, message), = handler.messages
    assert recipients == ["real@example.org"]
    assert message["Subject"] == "Confirm your email address"
    assert message["From"] == "Target CSF Leaks <hello@targetcsfleaks.org.uk>"
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    # Links are built on SITE_URL, not on whatever host the request came to.
    assert "https://community.example.org/verify/" in plain and "https://community.example.org/verify/" in html
    assert "You are getting this email because" in plain and "You are getting this email because" in html
    assert not (tmp_path / "outbox").exists(), "with MAIL_SERVER set nothing goes to the outbox"


def test_a_mail_outage_never_loses_the_signup(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_TLS=False)
    with fresh_schema(app):
        client = app.test_client()
        response = submit(client, "/signup", {"email": "a@example.org", "display_name": "Lee", "password": PASSWORD})
        assert response.status_code == 200 and "Check your email" in response.text
        assert db.session.scalar(db.select(User)).email == "a@example.org"
        # The page tells them how to get a new link: signing up again with the same address.
        assert "Sign up again" in response.text


def test_without_a_mail_server_emails_go_to_the_outbox_with_links_readable(client, outbox):
    submit(client, "/signup", {"email": "dev@example.org", "display_name": "Dev", "password": PASSWORD})
    link = outbox.last_link("dev@example.org")
    assert link.startswith("http://127.0.0.1:5000/verify/")
    (readable,) = outbox.directory.glob("*.txt")
    # A newcomer opening the file sees the link on one line, exactly as the email carries it.
    assert link in readable.read_text().splitlines()
    assert client.get(link.removeprefix("http://127.0.0.1:5000")).status_code == 302
