"""Members flag what worries them: one open queue item per target, a safety flag goes first and alerts the
moderators, enough members' flags hide a post until a moderator looks, and nobody flags what they cannot see."""

import re
from datetime import timedelta

import pytest

from community.forums.models import Post
from community.moderation import services as moderation
from community.moderation.models import AuditEntry, Flag, QueueItem
from community.notifications.models import Notification
from tests.conftest import csrf_token_from, submit
from tests.factories import make_member, make_user
from tests.forums.forum_data import agreed_member, make_category
from tests.moderation.moderation_data import KIND, a_post, flag, moderator, open_item, safety_emails

pytestmark = pytest.mark.usefixtures("posts_go_up_at_once")


def test_a_member_flags_a_post_through_the_form_and_is_thanked(client, login, db):
    post = a_post()
    login(make_member())
    page = client.get(f"/moderation/flag/{KIND}/{post.id}")
    assert page.status_code == 200 and "Spam or advertising" in page.text and "Hello everyone" in page.text
    response = submit(client, f"/moderation/flag/{KIND}/{post.id}", {"reason": "spam", "note": "Selling pills."})
    assert response.status_code == 302
    thanks = client.get(response.location).text
    assert "Thank you for telling us" in thanks and "Spam or advertising" in thanks
    assert "If someone is in danger now" not in thanks
    item = open_item(post)
    assert item.reason == "flagged" and not item.safety and item.subject_id == post.author_id
    [saved] = item.flags
    assert (saved.reason, saved.note) == ("spam", "Selling pills.")


def test_other_needs_a_note_and_the_choice_is_kept(client, login, db):
    post = a_post()
    login(make_member())
    response = submit(client, f"/moderation/flag/{KIND}/{post.id}", {"reason": "other", "note": ""})
    assert response.status_code == 400
    assert "Error:" in response.text and "say in a few words what worries you" in response.text
    assert re.search(r'<input checked[^>]*value="other"', response.text)
    response = submit(client, f"/moderation/flag/{KIND}/{post.id}", {"note": "Something odd"})
    assert response.status_code == 400 and "Choose why you are flagging this." in response.text
    assert "Something odd</textarea>" in response.text
    assert db.session.scalar(db.select(db.func.count(Flag.id))) == 0


def test_a_second_flag_joins_the_open_item_and_the_same_member_cannot_flag_twice(client, login, db):
    post = a_post()
    first, second = make_member(), make_member()
    flag(first, post, "spam")
    flag(second, post, "unkind")
    assert db.session.scalar(db.select(db.func.count(QueueItem.id))) == 1
    assert len(open_item(post).flags) == 2
    login(first)
    page = client.get(f"/moderation/flag/{KIND}/{post.id}").text
    assert "Thank you for telling us" in page and 'name="reason"' not in page
    response = submit(client, f"/moderation/flag/{KIND}/{post.id}", {"reason": "spam"},
                      page=f"/moderation/flag/{KIND}/{post.id}")
    assert db.session.scalar(db.select(db.func.count(Flag.id))) == 2
    assert response.status_code == 200


def test_after_an_item_is_closed_a_new_flag_opens_a_new_item(client, db):
    post = a_post()
    item = flag(make_member(), post)
    moderation.decide(moderator(), item.id, item.version, "keep")
    again = flag(make_member(), post)
    assert again.id != item.id and again.status == "open"
    assert moderation.item_view(again).earlier[0].id == item.id


def test_nobody_flags_their_own_post(client, login, db):
    author = agreed_member()
    post = a_post(author)
    login(author)
    page = client.get(f"/moderation/flag/{KIND}/{post.id}").text
    assert "You cannot flag your own words" in page and 'name="reason"' not in page
    response = submit(client, f"/moderation/flag/{KIND}/{post.id}", {"reason": "spam"},
                      page=f"/moderation/flag/{KIND}/{post.id}")
    assert response.status_code == 400 and db.session.scalar(db.select(db.func.count(Flag.id))) == 0


def test_members_cannot_flag_what_they_cannot_see(client, login, db):
    admin = make_user(role="admin", two_factor_on=False)
    secret = a_post(moderator(), category=make_category("Moderators' room", moderators_only=True, admin=admin))
    newcomer = agreed_member()
    pending = a_post(newcomer)
    db.session.get(Post, pending.id).state = "pending"
    db.session.commit()
    login(make_member())
    for url in (f"/moderation/flag/{KIND}/{secret.id}", f"/moderation/flag/{KIND}/{pending.id}",
                f"/moderation/flag/{KIND}/999999", f"/moderation/flag/no_such_kind/{secret.id}",
                "/moderation/flag/member/999999"):
        assert client.get(url).status_code == 404, url
        assert submit(client, url, {"reason": "spam"}, page="/forums").status_code == 404, url
    assert db.session.scalar(db.select(db.func.count(Flag.id))) == 0


def test_only_members_may_flag(client, login, db):
    post = a_post()
    url = f"/moderation/flag/{KIND}/{post.id}"
    assert "/membership" in client.get(url).location
    login(make_user())
    assert "/membership" in client.get(url).location


def test_a_member_can_flag_another_member(client, login, db):
    worrying = make_member(display_name="Pat")
    login(make_member())
    page = client.get(f"/moderation/flag/member/{worrying.id}").text
    assert "Flag this member" in page and "Pat" in page
    response = submit(client, f"/moderation/flag/member/{worrying.id}", {"reason": "unkind", "note": "DMs"})
    assert response.status_code == 302
    item = moderation._find_open_item("member", worrying.id)
    assert item.subject_id == worrying.id and item.flags[0].note == "DMs"


def test_guessing_ids_never_shows_the_name_of_someone_members_cannot_meet(client, login, db):
    """Only people with member access can be flagged: a guessed id of a registered account reveals nothing."""
    outsider = make_user(display_name="Quinn Private")
    login(make_member())
    for response in (client.get(f"/moderation/flag/member/{outsider.id}"),
                     client.get(f"/moderation/flag/member/{outsider.id + 1000}")):
        assert response.status_code == 404 and "Quinn Private" not in response.text


def test_a_safety_flag_goes_above_older_items_and_alerts_on_duty_moderators(app, client, login, db, outbox):
    older, newer = a_post(), a_post(body="I can't see the point any more.")
    old_item = flag(make_member(), older, "spam")
    old_item.opened_at -= timedelta(hours=3)
    db.session.commit()
    on_duty, off_duty = moderator(display_name="Morgan"), moderator(display_name="Kim")
    moderation.set_on_duty(on_duty, True)
    login(make_member())
    response = submit(client, f"/moderation/flag/{KIND}/{newer.id}", {"reason": "safety"})
    thanks = client.get(response.location).text
    assert "If someone is in danger now" in thanks and "/need-help" in thanks
    item = open_item(newer)
    assert item.safety and item.reason == "safety"
    assert [entry.item.id for entry in moderation.queue()] == [item.id, old_item.id]
    alerts = db.session.scalars(db.select(Notification).where(Notification.kind == "safety")).all()
    assert [alert.user_id for alert in alerts] == [on_duty.id]
    assert alerts[0].url == f"/moderation/items/{item.id}"
    [email] = safety_emails(outbox, on_duty.email)
    assert f"/moderation/items/{item.id}" in email.get_body(preferencelist=("plain",)).get_content()
    assert safety_emails(outbox, off_duty.email) == []
    # The on-duty moderator's queue page shows it first, marked.
    client.post("/logout", data={})
    other = app.test_client()
    login(on_duty, the_client=other)
    queue = other.get("/moderation").text
    assert queue.index("Safety</span>") < queue.index(f"/moderation/items/{old_item.id}")
    assert queue.index(f"/moderation/items/{item.id}") < queue.index(f"/moderation/items/{old_item.id}")


def test_with_nobody_on_duty_a_safety_flag_alerts_every_moderator_and_admin(client, login, db, outbox):
    post = a_post()
    staff = [moderator(), moderator(), make_user(role="admin")]
    login(make_member())
    submit(client, f"/moderation/flag/{KIND}/{post.id}", {"reason": "safety"})
    for person in staff:
        assert len(safety_emails(outbox, person.email)) == 1
        assert db.session.scalar(db.select(Notification).where(Notification.user_id == person.id,
                                                               Notification.kind == "safety"))


def test_a_repeated_safety_flag_does_not_alert_twice(client, login, db, outbox):
    post = a_post()
    mod = moderator()
    login(make_member())
    url = f"/moderation/flag/{KIND}/{post.id}"
    submit(client, url, {"reason": "safety"})
    client.post(url, data={"reason": "safety", "csrf_token": csrf_token_from(client.get("/account").text)})
    assert len(safety_emails(outbox, mod.email)) == 1
    assert db.session.scalar(db.select(db.func.count(Flag.id))) == 1


def test_enough_different_members_flags_hide_a_post_until_a_moderator_looks(app, client, login, db):
    author = agreed_member(display_name="Sam")
    post = a_post(author, body="Buy my miracle cure.")
    flaggers = [make_member() for _ in range(3)]
    flag(flaggers[0], post)
    flag(flaggers[1], post)
    assert db.session.get(Post, post.id).state == "visible"
    flag(flaggers[2], post)
    hidden = db.session.get(Post, post.id)
    assert hidden.state == "hidden" and hidden.hidden_reason == moderation.AUTO_HIDE_REASON
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "moderation.auto_hide"))
    assert entry.actor_id is None and entry.subject_id == author.id
    login(make_member())
    assert "Buy my miracle cure" not in client.get(f"/forums/t/{post.thread_id}").text
    # A moderator keeps it: it is back for everyone.
    item = open_item(post)
    moderation.decide(moderator(), item.id, item.version, "keep")
    assert db.session.get(Post, post.id).state == "visible"
    assert "Buy my miracle cure" in client.get(f"/forums/t/{post.thread_id}").text


def test_the_number_of_flags_that_hide_is_a_setting(db):
    moderation.set_setting(make_user(role="admin"), "flags_to_hide", 2)
    post = a_post()
    flag(make_member(), post)
    flag(make_member(), post)
    assert db.session.get(Post, post.id).state == "hidden"


def test_flagging_is_rate_limited_and_keeps_the_note(app, client, login, db, monkeypatch):
    from community.action_limits import ActionLimit
    from community.moderation import routes

    monkeypatch.setattr(routes, "FLAG_LIMIT", ActionLimit("moderation-flag", "2 per hour"))
    login(make_member())
    posts = [a_post() for _ in range(3)]
    for post in posts[:2]:
        assert submit(client, f"/moderation/flag/{KIND}/{post.id}", {"reason": "spam"}).status_code == 302
    response = submit(client, f"/moderation/flag/{KIND}/{posts[2].id}", {"reason": "other", "note": "Keep me"})
    assert response.status_code == 429 and "flagged a lot in a short time" in response.text
    assert "Keep me</textarea>" in response.text
    assert open_item(posts[2]) is None
