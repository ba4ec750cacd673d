"""The data export's pages (community/privacy/routes.py): who may open them (suspended members too), what the
JSON holds (each part, with the member's own words) and never holds (another member's words, who flagged them,
which moderator acted, any password hash, sign-in secret, recovery code or session token), the web page download
as a standalone document that escapes what members wrote, the download headers, the hourly limit, and an export
whose number of queries does not grow with the number of posts."""

import json

import pytest
from sqlalchemy import select

from community.accounts.models import RecoveryCode, User, UserSession
from community.extensions import db, limiter
from community.forums import services as forums
from community.moderation import services as moderation
from community.pages import services as pages
from community.privacy import registry, services
from tests.factories import make_member, make_user
from tests.privacy.conftest import FLAGGERS_NOTE, OTHERS_WORDS

URLS = ["/privacy/export", "/privacy/export.json", "/privacy/export.html"]




def _json(client) -> dict:
    response = client.get("/privacy/export.json")
    assert response.status_code == 200
    return json.loads(response.data.decode())


# Who may open it ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", URLS)
def test_a_visitor_is_sent_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response.location.startswith("/login")


@pytest.mark.parametrize("role", ["registered", "member", "moderator", "admin"])
def test_everyone_signed_in_opens_the_page_and_both_downloads(client, as_role, role):
    as_role(role)
    for url in URLS:
        assert client.get(url).status_code == 200, url


def test_a_suspended_member_still_downloads_their_data(client, as_role):
    member = as_role("member")
    moderation.act_on_member(make_user(role="moderator"), member, "suspend", "Testing a suspension.", 7)
    for url in URLS:
        assert client.get(url).status_code == 200, url
    assert "Testing a suspension." in json.dumps(_json(client), ensure_ascii=False)


def test_the_account_page_links_to_the_download(client, as_role):
    as_role("registered")
    assert 'href="/privacy/export">Download your data</a>' in client.get("/account").text


# What the export holds --------------------------------------------------------------------------------------

def test_the_json_holds_every_part_in_order_with_the_members_own_words(client, member_with_everything):
    document = _json(client)
    sections = document["sections"]
    assert list(sections) == [part.key for part in registry.parts()]
    assert list(sections)[0] == "account" and list(sections)[-1] == "pages"
    assert all(section["title"] and section["why"] for section in sections.values())
    member = member_with_everything["member"]
    assert document["account_email"] == member.email
    text = json.dumps(sections, ensure_ascii=False)
    for words in ("Mel Member", "Hello, everyone. Edited.", "Hello, everyone.",  # a post and its earlier version
                  "Thank you",                                                  # the reaction they gave
                  "Three years lying flat", "public, attributed as anonymous",  # a story and its consent
                  "My café words, lying flat tonight.", "Hug",                  # a café message and reaction
                  "My own worry about this post.",                              # the flag they made
                  "A moderator hid your forum post.",                           # a notification
                  "Testing the notice.",                                        # the decision's reason
                  "Prefers gentle reminders.",                                  # a moderator's note about them
                  "Metallic taste", "Dr Jane Smith"):                           # diary entry and letter
        assert words in text, words
    assert sections["stories"]["data"]["stories"][0]["consent_records"][0]["given_at"]


def test_the_export_never_holds_another_members_words_or_who_acted(client, member_with_everything):
    document = _json(client)
    text = json.dumps(document, ensure_ascii=False)
    # A flag against them that no moderator has looked at yet is not there at all (nor are open queue items).
    moderation_part = document["sections"]["moderation"]["data"]
    assert all(item["what"] != "Your account"
               for item in moderation_part["times_your_words_or_account_went_to_moderators"])
    html = client.get("/privacy/export.html").data.decode()
    for words in (OTHERS_WORDS, "Welcome.",                       # another member's café message and post
                  FLAGGERS_NOTE, "Just checking.", "Olive Other",  # who flagged them and what they wrote
                  "Morgan Moderator", "Ada Admin"):                # which moderator or admin acted
        assert words not in text, words
        assert words not in html, words


def test_no_password_hash_sign_in_secret_recovery_code_or_token_appears(client, member_with_everything):
    member = db.session.get(User, member_with_everything["member"].id)
    secrets = [member.password_hash, member.totp_secret, member.credential_stamp,
               *db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == member.id)),
               *db.session.scalars(select(UserSession.token_hash).where(UserSession.user_id == member.id)),
               *member_with_everything["member"].spare_recovery_codes]
    secrets = [secret for secret in secrets if secret]
    assert len(secrets) >= 5
    downloads = [client.get("/privacy/export.json").data, client.get("/privacy/export.html").data]
    cookie = client.get_cookie("session")
    for body in downloads:
        for secret in secrets:
            assert secret.encode() not in body
        assert cookie is None or cookie.value.encode() not in body
    # The facts are there, without the secrets: two-factor is on, and where they are logged in.
    account = json.loads(downloads[0])["sections"]["account"]["data"]
    assert account["two_factor_sign_in"]["turned_on_at"] and account["where_you_are_logged_in"]


def test_the_web_page_is_a_standalone_document_that_escapes_what_members_wrote(client, as_role):
    member = as_role("member")
    pages.accept_guidelines(member)
    moderation.set_setting(None, "held_first_posts", 0)
    category = forums.create_category(make_user(role="admin"), "Living with a leak")
    forums.create_thread(member, category, "Scripts", "<script>alert('boo')</script> & <b>bold</b>")
    html = client.get("/privacy/export.html").data.decode()
    assert html.startswith("<!doctype html>") and html.count("<h1>") == 1
    assert "<script" not in html and "&lt;script&gt;alert(" in html
    # Opened from the member's own disk: it loads nothing from the site or anywhere else.
    assert "<link" not in html and " src=" not in html and "/static/" not in html


@pytest.mark.parametrize("url, extension, kind", [("/privacy/export.json", "json", "application/json"),
                                                  ("/privacy/export.html", "html", "text/html")])
def test_a_download_is_an_attachment_that_is_never_stored(client, as_role, url, extension, kind):
    as_role("member")
    response = client.get(url)
    assert response.mimetype == kind
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith(f'.{extension}"')
    assert "target-csf-leaks-my-data-" in disposition
    assert "no-store" in response.headers["Cache-Control"]


def test_the_eleventh_download_in_an_hour_is_refused_kindly(client, as_role):
    as_role("member")
    for number in range(10):
        url = "/privacy/export.json" if number % 2 else "/privacy/export.html"
        assert client.get(url).status_code == 200
    refused = client.get("/privacy/export.json")
    assert refused.status_code == 302 and refused.location.endswith("/privacy/export")
    assert "Content-Disposition" not in refused.headers
    page = client.get(refused.location)
    assert page.status_code == 200
    assert "You have downloaded your data several times in the last hour" in page.text
    assert "Content-Disposition" not in client.get("/privacy/export.html").headers


def test_the_number_of_queries_does_not_grow_with_the_number_of_posts(app, count_queries, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)
    moderation.set_setting(None, "held_first_posts", 0)
    category = forums.create_category(make_user(role="admin"), "Living with a leak")
    reader = make_member()

    def member_with_posts(count: int) -> User:
        member = make_member()
        pages.accept_guidelines(member)
        first = forums.create_thread(member, category, f"Thread of {count}", "Post 1")
        thread = forums.get_thread(member, first.thread_id)
        for number in range(2, count + 1):
            post = forums.create_post(member, thread, f"Post {number}")
            forums.edit_post(member, forums.get_post(member, post.id), f"Post {number}, edited")
            forums.toggle_reaction(reader, forums.get_post(reader, post.id), "same")
        return member

    few, many = member_with_posts(3), member_with_posts(30)
    counts = []
    for member in (few, many):
        db.session.expire_all()
        with count_queries() as queries:
            document = services.export_member(member)
        counts.append(len(queries))
    assert len(document["sections"]["forum_posts"]["data"]["posts"]) == 30
    assert counts[0] == counts[1], counts
