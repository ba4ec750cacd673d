"""The page shown while the database is away: a calm 503 with Retry-After, never a 500, quick, never cached, and
what someone had typed shown back with an honest word about whether it was saved. In-process, against a
PostgreSQL address where nothing listens (a real refused connection, nothing mocked); runs once."""

import time

import pytest

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
