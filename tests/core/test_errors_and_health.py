"""Friendly error pages and the health check."""

from tests.conftest import make_test_app
from tests.factories import make_user


def test_friendly_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404 and "Page not found" in response.text
    assert '<a href="/need-help">' in response.text


def test_friendly_403(client, login):
    login(make_user())
    response = client.get("/admin")
    assert response.status_code == 403 and "You cannot open this page" in response.text


def test_friendly_405(client):
    response = client.get("/logout")
    assert response.status_code == 405 and "That did not work" in response.text


def test_friendly_500_keeps_what_was_typed(tmp_path, database_url):
    app = make_test_app(database_url, tmp_path, PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=False)

    @app.post("/explode")
    def explode():
        raise RuntimeError("boom")

    response = app.test_client().post("/explode", data={"story": "Three months of headaches"},
                                      headers={"Referer": "http://localhost/stories/new"})
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in response.text
    assert "Three months of headaches" in response.text


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_gone(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path}/missing-dir/nope.db", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"


def test_too_large_a_post_says_so_rather_than_blaming_the_site(client, login):
    from tests.factories import make_user

    login(make_user())
    response = client.post("/account", data={"display_name": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "That was too long to send" in response.text
    assert "went wrong on our side" not in response.text
