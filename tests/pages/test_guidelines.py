"""Agreeing to the community guidelines: once per version, with a button on /guidelines, and
`guidelines_required` sending anyone who has not agreed there first (and back again after)."""

import pytest
from flask import Flask

from community.dates import day
from community.extensions import utcnow
from community.pages import services
from community.pages.guidelines import guidelines_required
from community.pages.models import GuidelinesAcceptance
from tests.conftest import submit

BUTTON = "I agree to the community guidelines"


@pytest.fixture
def seeded(db):
    services.seed_pages()


def test_anyone_can_read_the_guidelines_but_only_the_logged_in_are_asked_to_agree(client, seeded):
    page = client.get("/guidelines").text
    assert "Be kind" in page and BUTTON not in page


def test_a_member_agrees_once_and_is_told_when(client, as_role, db, seeded):
    member = as_role("member")
    assert not services.has_accepted_current_guidelines(member)
    assert BUTTON in client.get("/guidelines").text
    response = submit(client, "/guidelines/agree", {}, page="/guidelines")
    assert response.status_code == 302 and response.location.endswith("/guidelines")
    page = client.get("/guidelines").text
    assert f"You agreed to these on {day(utcnow())}" in page and BUTTON not in page
    assert services.has_accepted_current_guidelines(member)
    # A second tap changes nothing.
    submit(client, "/guidelines/agree", {}, page="/guidelines")
    assert db.session.scalar(db.select(db.func.count(GuidelinesAcceptance.id))) == 1


def test_agreeing_needs_the_forms_token(client, as_role, seeded):
    member = as_role("member")
    assert client.post("/guidelines/agree").status_code == 400
    assert not services.has_accepted_current_guidelines(member)


def test_a_new_version_asks_again(client, as_role, seeded, monkeypatch):
    member = as_role("member")
    services.accept_guidelines(member)
    monkeypatch.setattr(services, "GUIDELINES_VERSION", "2")
    assert not services.has_accepted_current_guidelines(member)
    assert BUTTON in client.get("/guidelines").text


def test_anonymous_visitors_have_not_agreed(app):
    from flask_login import AnonymousUserMixin

    assert not services.has_accepted_current_guidelines(AnonymousUserMixin())


@pytest.fixture
def forum_like_view(app: Flask):
    """A stand-in for the forums' "new thread" page, which will use the decorator."""
    @guidelines_required
    def new_thread():
        return "the new thread form"

    app.add_url_rule("/test-only/new-thread", "test_new_thread", new_thread, methods=["GET"])
    return "/test-only/new-thread"


def test_guidelines_required_sends_people_to_agree_first_and_back_after(client, as_role, seeded, forum_like_view):
    as_role("member")
    response = client.get(forum_like_view + "?category=help")
    assert response.status_code == 302
    assert response.location == "/guidelines?next=/test-only/new-thread?category%3Dhelp"
    page = client.get(response.location).text
    assert "then agree to them at the end of the page" in page
    agreed = submit(client, "/guidelines/agree?next=/test-only/new-thread?category%3Dhelp", {}, page=response.location)
    assert agreed.location == "/test-only/new-thread?category=help"
    assert client.get(forum_like_view).text == "the new thread form"


def test_guidelines_required_sends_a_logged_out_visitor_to_log_in(client, forum_like_view):
    response = client.get(forum_like_view)
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_next_never_leads_off_the_site(client, as_role, seeded):
    as_role("member")
    response = submit(client, "/guidelines/agree?next=https://evil.example/", {}, page="/guidelines")
    assert response.location == "/guidelines"
    assert "evil.example" not in client.get("/guidelines?next=//evil.example/").text
