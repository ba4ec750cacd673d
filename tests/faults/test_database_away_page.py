"""The page shown while the database is away: a calm 503 with Retry-After, never a 500, quick, never cached, and
what someone had typed shown back with an honest word about whether it was saved. In-process, against a
PostgreSQL address where nothing listens (a real refused connection, nothing mocked), or where something takes
connections and never answers (as a PostgreSQL part-way through shutting down can); runs once."""

import socket
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from community.config import engine_options
from community.extensions import db
from community.pages.site_settings import charity
from tests.cafe.processes import free_port
from tests.conftest import make_test_app

FRIENDLY = "We cannot reach our database just now"


@pytest.fixture
def client(tmp_path):
    pytest.importorskip("psycopg")
    app = make_test_app(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere", tmp_path,
                        WTF_CSRF_ENABLED=False)
    with app.app_context():
        yield app.test_client()


@pytest.mark.parametrize("path", ["/", "/resources", "/stories"])
def test_pages_say_calmly_that_the_database_is_away_and_when_to_try_again(client, path):
    started = time.monotonic()
    response = client.get(path)
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    page = response.text
    assert FRIENDLY in page and "Please try again in a minute." in page
    assert "Traceback" not in page and "OperationalError" not in page
    assert response.headers["Retry-After"] == "30"
    assert response.headers["Cache-Control"] == "no-store"
    # The usual security headers still go out (the response's own hooks ran without the database).
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    # Help stays on the page, without the database.
    assert "call 999" in page and "116 123" in page


def test_a_form_sent_while_the_database_is_away_shows_the_words_back_and_says_nothing_was_saved(client):
    response = client.post("/login", data={"email": "sam@example.org", "password": "a secret never shown"},
                           headers={"Origin": "http://localhost"})
    assert response.status_code == 503
    page = response.text
    assert "Nothing you sent has been saved yet." in page
    assert "sam@example.org" in page
    assert "a secret never shown" not in page


def test_the_health_check_says_the_database_is_unreachable(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unreachable"}


@pytest.fixture
def unanswering_database_url():
    """A port that takes connections (the kernel's backlog) and never answers them: each connect waits out its
    whole timeout, as against a PostgreSQL stuck part-way through a restart."""
    pytest.importorskip("psycopg")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{listener.getsockname()[1]}/stuck"
    finally:
        listener.close()


def _seconds_to_fail(statement=lambda: db.session.execute(select(1))) -> float:
    started = time.monotonic()
    with pytest.raises(OperationalError):
        statement()
    db.session.rollback()
    return time.monotonic() - started


def test_a_request_waits_for_an_unanswering_database_once_so_its_503_comes_within_3_seconds(
        unanswering_database_url, tmp_path):
    # Production's engine options: the 2 s connect timeout is what a request waits.
    app = make_test_app(unanswering_database_url, tmp_path,
                        SQLALCHEMY_ENGINE_OPTIONS=engine_options(unanswering_database_url))
    with app.test_request_context("/forums"):
        # The footer's settings carry on with the last known ones after waiting out the connect timeout...
        started = time.monotonic()
        assert charity().name == "Target CSF Leaks"
        assert 1.5 < time.monotonic() - started < 3
        # ...so the page's own query, next, is refused at once rather than after a second wait.
        assert _seconds_to_fail() < 0.5
    with app.test_request_context("/forums"):
        # The next request tries the database again: it may be back.
        assert _seconds_to_fail() > 1.5

    started = time.monotonic()
    response = app.test_client().get("/")
    assert time.monotonic() - started < 3
    assert response.status_code == 503 and FRIENDLY in response.text
