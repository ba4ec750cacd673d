"""Moderators act about members from the member's page: warn, silence, suspend, ban, lift; notes only moderators
see. A suspension keeps the member to their own notices and data, and ends by itself."""

from datetime import timedelta

import pytest

from community.extensions import utcnow
from community.forums.models import Post
from community.moderation.models import AuditEntry, MemberNote
from tests.conftest import submit
from tests.factories import make_member, make_user
from tests.forums.forum_data import agreed_member
from tests.moderation.moderation_data import a_post, moderator

pytestmark = pytest.mark.usefixtures("posts_go_up_at_once")


@pytest.fixture
def sam(db):
    return agreed_member(display_name="Sam")


@pytest.fixture
def mod_client(app, login):
    client = app.test_client()
    login(moderator(display_name="Morgan"), the_client=client)
    return client


def act(client, member, action, reason="Please read the guidelines again.", days=""):
    return submit(client, f"/moderation/members/{member.id}/act",
                  {"action": action, "reason": reason, "days": days}, page=f"/moderation/members/{member.id}")


def restricted(member, db):
    db.session.refresh(member)
    return member.restriction, member.restricted_until


def test_the_member_page_shows_standing_history_and_notes(mod_client, sam, db):
    page = mod_client.get(f"/moderation/members/{sam.id}")
    assert page.status_code == 200 and "Sam" in page.text and "In good standing" in page.text
    assert mod_client.get("/moderation/members/999999").status_code == 404


def test_a_warning_is_a_private_notice(mod_client, sam, client, login, db):
    assert act(mod_client, sam, "warn", "Please keep posts on topic.").status_code == 302
    assert restricted(sam, db) == (None, None)
    login(sam)
    standing = client.get("/standing").text
    assert "A moderator sent you a private warning." in standing and "Please keep posts on topic." in standing
    assert "Ask for this to be looked at again" not in standing  # warnings are not appealed
    assert client.get("/forums").status_code == 200


def test_actions_need_a_reason_and_silence_and_suspension_a_number_of_days(mod_client, sam, db):
    response = act(mod_client, sam, "suspend", reason="", days="3")
    assert response.status_code == 400 and "Please write a reason" in response.text
    response = act(mod_client, sam, "silence", reason="Too many posts", days="")
    assert response.status_code == 400 and "how many days" in response.text
    assert "Too many posts</textarea>" in response.text
    response = act(mod_client, sam, "silence", reason="Too many posts", days="400")
    assert response.status_code == 400 and "from 1 to 365" in response.text
    assert restricted(sam, db) == (None, None)


def test_staff_and_yourself_cannot_be_restricted(mod_client, db):
    other = moderator()
    response = act(mod_client, other, "ban")
    assert response.status_code == 400 and "Moderators and admins cannot be warned or restricted" in response.text
    db.session.refresh(other)
    assert other.restriction is None


def test_a_suspended_member_only_sees_their_notices_and_own_data_until_it_ends(mod_client, sam, client, login, db):
    post = a_post(sam, body="My words stay mine.")
    login(sam)
    assert act(mod_client, sam, "suspend", "A week away to cool down.", "7").status_code == 302
    restriction, until = restricted(sam, db)
    assert restriction == "suspended" and until > utcnow() + timedelta(days=6)
    for url in ("/forums", f"/forums/t/{post.thread_id}", "/account", "/lounge", "/notifications"):
        response = client.get(url)
        assert response.status_code == 302 and response.location == "/standing", url
    standing = client.get("/standing")
    assert standing.status_code == 200 and "Your account is suspended until" in standing.text
    assert "A week away to cool down." in standing.text and "It ends by itself." in standing.text
    assert client.post(f"/forums/t/{post.thread_id}/reply", data={"body": "x"}).status_code in (400, 403)
    # Time passes: the end is reached and everything opens again, with nobody doing anything.
    sam.restricted_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/forums").status_code == 200
    assert "My words stay mine." in client.get(f"/forums/t/{post.thread_id}").text
    assert "Your account is" not in client.get("/standing").text


def test_a_suspended_member_can_still_log_out(mod_client, sam, client, login, db):
    login(sam)
    act(mod_client, sam, "suspend", "A break.", "2")
    response = submit(client, "/logout", {}, page="/standing")
    assert response.status_code == 302
    assert "/login" in client.get("/account").location


def test_a_silenced_member_can_read_but_not_post(mod_client, sam, client, login, db):
    post = a_post(sam, body="Before the silence.")
    login(sam)
    act(mod_client, sam, "silence", "Please take a breath.", "3")
    thread = client.get(f"/forums/t/{post.thread_id}")
    assert thread.status_code == 200 and "Before the silence." in thread.text
    response = submit(client, f"/forums/t/{post.thread_id}/reply", {"body": "Can I still post?", "action": "post"},
                      page=f"/forums/t/{post.thread_id}")
    assert response.status_code in (400, 403)
    assert db.session.scalar(db.select(db.func.count(Post.id)).where(Post.body == "Can I still post?")) == 0
    assert "Your account is silenced until" in client.get("/standing").text


def test_a_ban_has_no_end_and_a_lift_ends_it(mod_client, sam, client, login, db):
    login(sam)
    act(mod_client, sam, "ban", "Repeated harassment.")
    assert restricted(sam, db) == ("banned", None)
    standing = client.get("/standing").text
    assert "Your account is banned" in standing and "It has no end date." in standing
    assert client.get("/forums").location == "/standing"
    page = mod_client.get(f"/moderation/members/{sam.id}").text
    assert "Banned, with no end" in page and "Lift the restriction" in page
    response = submit(mod_client, f"/moderation/members/{sam.id}/lift", {"lift-reason": ""},
                      page=f"/moderation/members/{sam.id}")
    assert response.status_code == 400 and "Please write a reason" in response.text
    response = submit(mod_client, f"/moderation/members/{sam.id}/lift", {"lift-reason": "Spoke on the phone."},
                      page=f"/moderation/members/{sam.id}")
    assert response.status_code == 302
    assert restricted(sam, db) == (None, None)
    assert client.get("/forums").status_code == 200
    assert "A moderator lifted the restriction on your account." in client.get("/standing").text
    actions = [entry.action for entry in db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.subject_id == sam.id).order_by(AuditEntry.id))]
    assert actions == ["moderation.ban", "moderation.lift"]


def test_notes_are_for_moderators_only(app, mod_client, sam, client, login, db):
    response = submit(mod_client, f"/moderation/members/{sam.id}/notes", {"text": ""},
                      page=f"/moderation/members/{sam.id}")
    assert response.status_code == 400 and "Please write the note first." in response.text
    submit(mod_client, f"/moderation/members/{sam.id}/notes", {"text": "Going through a hard time; be gentle."},
           page=f"/moderation/members/{sam.id}")
    assert db.session.scalar(db.select(MemberNote.text)) == "Going through a hard time; be gentle."
    assert "Going through a hard time" in mod_client.get(f"/moderation/members/{sam.id}").text
    login(make_member())
    assert client.get(f"/moderation/members/{sam.id}").status_code == 403
    as_sam = app.test_client()
    login(sam, the_client=as_sam)
    assert "Going through a hard time" not in as_sam.get("/standing").text


def test_a_registered_account_without_membership_gets_403_on_member_pages(client, login, sam, db):
    login(make_user())
    assert client.get(f"/moderation/members/{sam.id}").status_code == 403
