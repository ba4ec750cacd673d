"""Fixtures: an app on a fresh database per test (SQLite always, PostgreSQL too when TEST_DATABASE_URL is set),
its test client and CLI runner, the outbox of sent email, and helpers to submit forms and log in."""

import os
import re
import time
import uuid
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

# Loaded first, as create_app loads the features: moderation and accounts import each other, so a test module that
# imports moderation first (tests/pages/test_site_settings.py) would fail when run on its own.
import community.accounts  # noqa: F401
from community import create_app
from community.after_response import wait_for_pending_work
from community.extensions import db as _db
from tests.stripe_fake import fake_stripe, localstripe_url, stripe_settings  # noqa: F401  (fixtures)

REQUIRE_SERVICES = bool(os.environ.get("REQUIRE_SERVICES"))
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


def service_missing(message: str):
    """A needed service is absent: fail in CI (REQUIRE_SERVICES set), skip on a laptop without it."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (REQUIRE_SERVICES is set, so this fails instead of skipping)")
    pytest.skip(message)


def _backends() -> list[str]:
    if TEST_DATABASE_URL or REQUIRE_SERVICES:
        return ["sqlite", "postgresql"]
    return ["sqlite"]


@pytest.fixture(scope="session", params=_backends())
def database_backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def postgres_server_url():
    """A brand-new PostgreSQL database for this test session, dropped at the end."""
    if not TEST_DATABASE_URL:
        service_missing("TEST_DATABASE_URL is not set")
    admin_engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    name = f"community_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin_engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001
        service_missing(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {error}")
    yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    with admin_engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


def database_url_for(database_backend: str, directory: Path, request) -> str:
    """The session's PostgreSQL database, or a new SQLite file in `directory` (for fixtures of any scope)."""
    if database_backend == "postgresql":
        return request.getfixturevalue("postgres_server_url")
    return f"sqlite:///{directory / 'test.db'}"


@pytest.fixture
def database_url(database_backend, tmp_path, request) -> str:
    return database_url_for(database_backend, tmp_path, request)


class WaitingClient(FlaskClient):
    """Waits, after each request, for the work queued to run beside its response (community.after_response), so a
    test sees its emails as soon as the request returns, as a person would a moment later."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        wait_for_pending_work()
        return response


def make_test_app(database_url: str, tmp_path: Path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "a-test-secret-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "MAIL_SERVER": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "REDIS_URL": None,
        "DEMO_MODE": False,
        **overrides,
    }
    app = create_app(config)

    def start_with_an_empty_g():
        # Tests keep one app context open across requests; production gives each request a fresh `g`.
        g.__dict__.clear()

    app.before_request_funcs.setdefault(None, []).insert(0, start_with_an_empty_g)
    app.test_client_class = WaitingClient
    return app


@contextmanager
def fresh_schema(app):
    """Inside the app's context, an empty schema for the test; dropped (and connections closed) after."""
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        try:
            yield app
        finally:
            _db.session.remove()
            _db.drop_all()
            _db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    with fresh_schema(make_test_app(database_url, tmp_path)) as app:
        yield app


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# Forms ------------------------------------------------------------------------------------------------------

CSRF_PATTERN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def submit(client, url: str, data: dict, page: str | None = None, **kwargs):
    """Open the page with the form (url unless `page` says otherwise), then post it with its CSRF token."""
    form_page = client.get(page or url)
    return client.post(url, data={**data, "csrf_token": csrf_token_from(form_page.text)}, **kwargs)


# Email ------------------------------------------------------------------------------------------------------

class Outbox:
    """The emails the app wrote to instance/outbox, oldest first."""

    def __init__(self, directory: Path):
        self.directory = directory

    @property
    def messages(self):
        if not self.directory.exists():
            return []
        return [message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in sorted(self.directory.glob("*.eml"))]

    def to(self, address: str):
        return [message for message in self.messages if message["To"] == address]

    def last_link(self, address: str) -> str:
        message = self.to(address)[-1]
        body = message.get_body(preferencelist=("plain",)).get_content()
        return re.search(r"https?://\S+", body).group(0)

    def wait_for_link(self, address: str, subject: str, containing: str = "://", seconds: float = 10) -> str:
        """For a real server: the link in the email with that subject, once it has arrived (some emails are sent
        after their response)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in reversed(self.to(address)):
                if message["Subject"] == subject:
                    return self.link_in(message, containing)
            time.sleep(0.05)
        raise AssertionError(f"no {subject!r} email reached {address} within {seconds} s")

    @staticmethod
    def link_in(message, containing: str) -> str:
        body = message.get_body(preferencelist=("plain",)).get_content()
        return next(link for link in re.findall(r"https?://\S+", body) if containing in link)


@pytest.fixture
def outbox(app):
    return Outbox(Path(app.config["MAIL_OUTBOX_DIR"]))


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


# Logging in -------------------------------------------------------------------------------------------------

@pytest.fixture
def login(client):
    """login(user) logs the test client in through the real form; returns the response."""
    from tests.factories import PASSWORD

    def _login(user, password=PASSWORD, remember=False, the_client=None, **kwargs):
        """Logs in through the form; with two-factor on, answers the code step with a spare recovery code."""
        data = {"email": user.email, "password": password}
        if remember:
            data["remember"] = "y"
        response = submit(the_client or client, "/login", data, **kwargs)
        if response.status_code == 302 and response.location.endswith("/login/code"):
            code = user.spare_recovery_codes.pop()
            response = submit(the_client or client, "/login/code", {"code": code}, **kwargs)
        return response

    return _login


@pytest.fixture
def as_role(app, client, login):
    """as_role("member") creates a user with that role or membership and logs the client in as them."""
    from tests import factories

    def _as(role: str):
        user = {"registered": factories.make_user, "member": factories.make_member,
                "moderator": lambda: factories.make_user(role="moderator"),
                "admin": lambda: factories.make_user(role="admin")}[role]()
        response = login(user)
        assert response.status_code == 302, response.text
        return user

    return _as


# Counting queries -------------------------------------------------------------------------------------------

@pytest.fixture
def count_queries(db):
    """with count_queries() as queries: ...; then len(queries) is the number of SQL statements run."""
    @contextmanager
    def _count():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return _count
