"""Erasing an account from the site: /privacy/erase for the member (after confirming it is them), and an admin's
page for a request made by email. Nothing happens without the choice and the tick; afterwards every session and
remembered log-in is dead, the password no longer opens anything, and a last email says it is done."""

from datetime import timedelta

from sqlalchemy import select

from community.accounts.models import User, UserSession
from community.extensions import db
from community.moderation import services as moderation
from community.moderation.models import AuditEntry
from tests.conftest import submit
from tests.factories import make_member, make_user

URL = "/privacy/erase"
CHOICES = {"writing": "keep", "understood": "y"}


def _confirmed_long_ago(user: User) -> None:
    for row in db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)):
        row.confirmed_at -= timedelta(hours=1)
    db.session.commit()


def test_a_visitor_is_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response.location.startswith("/login")


def test_the_page_says_what_goes_and_what_stays_and_offers_the_download_first(client, as_role):
    as_role("member")
    page = client.get(URL)
    assert page.status_code == 200
    for words in ("cannot be undone", "Your stories, published ones too", "HMRC", "Former member",
                  "download your data", "Keep my account", "where to find help now"):
        assert words in page.text, words
    assert "erase your account" in client.get("/account").text


def test_it_asks_for_the_password_again_when_the_last_confirmation_is_old(client, as_role):
    member = as_role("member")
    _confirmed_long_ago(member)
    response = client.get(URL)
    assert response.status_code == 302 and response.location.startswith("/account/confirm")
    assert submit(client, URL, CHOICES, page="/account").status_code == 302
    assert db.session.get(User, member.id) is not None


def test_nothing_happens_without_the_choice_and_the_tick(client, as_role):
    member = as_role("member")
    for data in ({}, {"writing": "keep"}, {"understood": "y"}, {"writing": "burn", "understood": "y"}):
        response = submit(client, URL, data)
        assert response.status_code == 400 and "There is a problem" in response.text, data
        assert db.session.get(User, member.id) is not None


def test_erasing_logs_out_everywhere_and_the_old_cookies_and_password_open_nothing(app, client, login, outbox):
    member = make_member(display_name="Mel Member")
    elsewhere = app.test_client()
    login(member, remember=True, the_client=elsewhere)
    login(member)
    response = submit(client, URL, {"writing": "delete", "understood": "y"})
    assert response.status_code == 302 and response.location == "/"
    assert "Your account has been erased" in client.get("/").text
    assert db.session.get(User, member.id) is None
    for browser in (client, elsewhere):
        assert browser.get("/account").location.startswith("/login")
    # A copy of the remembered cookie, replayed in a fresh browser, is worth nothing.
    replay = app.test_client()
    for cookie in elsewhere._cookies.values():
        replay.set_cookie(cookie.key, cookie.value)
    assert replay.get("/account").location.startswith("/login")
    assert login(member).status_code == 200  # the log-in form again, with its error
    (last,) = [mail for mail in outbox.messages if "erased" in mail["Subject"]]
    assert last["To"] == member.email and "Mel Member" in last.get_body(preferencelist=("plain",)).get_content()


def test_a_suspended_member_can_still_erase_their_account(client, as_role):
    member = as_role("member")
    moderation.act_on_member(make_user(role="moderator"), member, "suspend", "Testing a suspension.", 7)
    assert client.get(URL).status_code == 200
    assert submit(client, URL, CHOICES).status_code == 302
    assert db.session.get(User, member.id) is None


def test_the_only_admin_is_told_to_make_another_admin_first(client, as_role):
    admin = as_role("admin")
    response = submit(client, URL, CHOICES)
    assert response.status_code == 400 and "only administrator" in response.text
    assert db.session.get(User, admin.id) is not None


# An admin, for a request made by email -------------------------------------------------------------------------

def test_an_admin_erases_an_account_a_member_asked_for_by_email(client, as_role, outbox):
    admin = as_role("admin")
    member = make_member(display_name="Mel Member")
    url = f"/admin/members/{member.id}/erase"
    assert f'href="{url}"' in client.get(f"/admin/members/{member.id}").text
    assert client.get(url).status_code == 200
    refused = submit(client, url, {"writing": "keep", "understood": "y"})
    assert refused.status_code == 400 and db.session.get(User, member.id) is not None
    done = submit(client, url, {"writing": "keep", "understood": "y", "reason": "Emailed 3 Nov; checked by reply."})
    assert done.status_code == 302
    assert db.session.get(User, member.id) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.erase"))
    assert entry.actor_id == admin.id and entry.reason == "Emailed 3 Nov; checked by reply."
    assert entry.subject_label in client.get("/moderation/audit").text
    assert any("erased" in mail["Subject"] and mail["To"] == member.email for mail in outbox.messages)


def test_the_admin_page_is_for_admins_only(client, as_role):
    member = make_member()
    as_role("moderator")
    assert client.get(f"/admin/members/{member.id}/erase").status_code == 403
    assert submit(client, f"/admin/members/{member.id}/erase", {}, page="/account").status_code == 403
    assert db.session.get(User, member.id) is not None


def test_an_admin_cannot_erase_their_own_account_from_the_admin_page(client, as_role):
    admin = as_role("admin")
    make_user(role="admin")
    response = submit(client, f"/admin/members/{admin.id}/erase",
                      {"writing": "keep", "understood": "y", "reason": "Me."})
    assert response.status_code == 400 and "your own account" in response.text
    assert db.session.get(User, admin.id) is not None
    assert client.get("/admin/members/999999/erase").status_code == 404


def test_hostile_erasure_forms_are_refused_kindly_and_erase_nothing(client, as_role):
    """What the fuzz suite leaves to this file (erasing would end its visitors): odd values never erase, never 500."""
    admin = as_role("admin")
    make_user(role="admin")
    member = make_member()
    huge = "x" * 300_000
    for url in (URL, f"/admin/members/{member.id}/erase"):
        for data in ({"writing": "keep\x01", "understood": "y", "reason": "a"},
                     {"writing": ["keep", "delete"], "understood": "false", "reason": "a"},
                     {"writing": "‮keep", "understood": "y", "reason": "b"},
                     {"writing": "keep", "understood": "", "reason": huge},
                     {"writing": "delete", "reason": "\x00" * 600}):
            response = submit(client, url, data)
            assert response.status_code in (400, 413), (url, data, response.status_code, response.location)
            assert db.session.get(User, admin.id) is not None and db.session.get(User, member.id) is not None
