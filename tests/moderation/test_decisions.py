"""A moderator's decisions on queue items, through the item page, and what each person then sees: the author, another
member, another moderator and someone logged out."""

import re

import pytest

from community.forums import services as forums
from community.forums.models import Post
from community.moderation import services as moderation
from community.moderation.models import AuditEntry, QueueItem
from community.notifications.models import Notification
from tests.conftest import submit
from tests.factories import make_member, make_user
from tests.forums.forum_data import agreed_member
from tests.moderation.moderation_data import a_category, a_post, decide, flag, moderator, open_item

pytestmark = pytest.mark.usefixtures("posts_go_up_at_once")


@pytest.fixture
def scene(app, login):
    """A post by Sam, flagged by another member; a client each for the moderator, Sam and another member."""
    author = agreed_member(display_name="Sam")
    post = a_post(author, body="Try this miracle cure from my shop.")
    reader = make_member(display_name="Reader")
    item = flag(reader, post, "misinformation", "Selling a cure.")
    as_ = {}
    for role, person in (("moderator", moderator(display_name="Morgan")), ("author", author), ("reader", reader)):
        as_[role] = app.test_client()
        assert login(person, the_client=as_[role]).status_code == 302
    as_["anonymous"] = app.test_client()
    return {"author": author, "post": post, "item": item, "reader": reader, "as": as_}


def thread_of(scene, role):
    return scene["as"][role].get(f"/forums/t/{scene['post'].thread_id}")


def audit_actions(db):
    """Moderation's entries in the audit log, oldest first (making the test's people adds others)."""
    return [entry.action for entry in db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action.like("moderation.%"), AuditEntry.action != "moderation.setting")
        .order_by(AuditEntry.id))]


def test_the_item_page_shows_the_content_its_place_the_flags_and_the_authors_history(scene, db):
    page = scene["as"]["moderator"].get(f"/moderation/items/{scene['item'].id}").text
    assert "Try this miracle cure" in page and "Forums ›" in page and f"/forums/p/{scene['post'].id}" in page
    assert "Medical misinformation" in page and "Selling a cure." in page and "Reader" in page
    assert "Sam" in page and "No moderator has acted about them yet." in page
    for decision in ("keep", "hide", "delete", "edit"):
        assert f'value="{decision}"' in page
    assert 'value="approve"' not in page and 'value="restore"' not in page
    assert "Try this miracle cure from my shop.</textarea>" in page  # the edit box starts with the words


def test_keep_dismisses_the_flags_and_changes_nothing_for_anyone(scene, db):
    response = decide(scene["as"]["moderator"], scene["item"].id, "keep")
    assert response.status_code == 302 and response.location == "/moderation"
    item = db.session.get(QueueItem, scene["item"].id)
    assert item.status == "closed" and item.outcome == "keep"
    assert audit_actions(db) == ["moderation.keep"]
    for role in ("author", "reader"):
        assert "Try this miracle cure" in thread_of(scene, role).text
    assert "There are no notices for you." in scene["as"]["author"].get("/standing").text


def test_hiding_needs_a_reason_and_keeps_what_the_moderator_typed(scene, db):
    response = decide(scene["as"]["moderator"], scene["item"].id, "hide", "", text="Changed words")
    assert response.status_code == 400 and "Error:" in response.text
    assert "Please write a reason" in response.text and "Changed words</textarea>" in response.text
    assert db.session.get(Post, scene["post"].id).state == "visible"
    assert db.session.get(QueueItem, scene["item"].id).status == "open"


def test_hide_shows_the_author_why_and_hides_the_words_from_everyone_else(scene, db):
    decide(scene["as"]["moderator"], scene["item"].id, "hide", "Please do not sell treatments here.")
    assert db.session.get(Post, scene["post"].id).state == "hidden"
    mine = thread_of(scene, "author").text
    assert "Try this miracle cure" in mine and "Please do not sell treatments here." in mine
    others = thread_of(scene, "reader").text
    assert "Try this miracle cure" not in others and "This post was hidden by a moderator." in others
    assert "Try this miracle cure" in thread_of(scene, "moderator").text  # "What it said (moderators only)"
    assert "/membership" in thread_of(scene, "anonymous").location
    standing = scene["as"]["author"].get("/standing").text
    assert "A moderator hid your forum post." in standing and "Please do not sell treatments here." in standing
    assert "Ask for this to be looked at again" in standing
    assert "There are no notices for you." in scene["as"]["reader"].get("/standing").text
    notice = db.session.scalar(db.select(Notification).where(Notification.user_id == scene["author"].id))
    assert notice.url.startswith("/standing#notice-")


def test_restore_brings_a_hidden_post_back(scene, db):
    decide(scene["as"]["moderator"], scene["item"].id, "hide", "Checking with the author.")
    again = flag(moderator(), scene["post"])
    page = scene["as"]["moderator"].get(f"/moderation/items/{again.id}").text
    assert 'value="restore"' in page and 'value="keep"' not in page
    decide(scene["as"]["moderator"], again.id, "restore")
    assert db.session.get(Post, scene["post"].id).state == "visible"
    assert "Try this miracle cure" in thread_of(scene, "reader").text
    assert audit_actions(db) == ["moderation.hide", "moderation.restore"]


def test_delete_removes_the_post_for_everyone_but_moderators(scene, db):
    decide(scene["as"]["moderator"], scene["item"].id, "delete", "Advertising is not allowed.")
    assert db.session.get(Post, scene["post"].id).state == "deleted"
    assert "Try this miracle cure" not in thread_of(scene, "reader").text
    assert "Try this miracle cure" in thread_of(scene, "moderator").text
    assert "A moderator removed your forum post." in scene["as"]["author"].get("/standing").text


def test_edit_changes_the_words_and_tells_the_author(scene, db):
    decide(scene["as"]["moderator"], scene["item"].id, "edit", "", text="Here is what helped me.")
    assert db.session.get(Post, scene["post"].id).body == "Here is what helped me."
    assert "Here is what helped me." in thread_of(scene, "reader").text
    assert "A moderator edited your forum post." in scene["as"]["author"].get("/standing").text
    assert "Ask for this to be looked at again" not in scene["as"]["author"].get("/standing").text


def test_an_edit_that_leaves_no_words_is_refused_and_nothing_is_applied(scene, db):
    response = decide(scene["as"]["moderator"], scene["item"].id, "edit", "", text="   ")
    assert response.status_code == 400 and "Please keep some words" in response.text
    assert db.session.get(QueueItem, scene["item"].id).status == "open"
    assert audit_actions(db) == []


def test_a_newcomers_first_post_is_held_then_approved_or_declined(scene, db, app, login):
    moderation.set_setting(None, "held_first_posts", 2)
    newcomer = agreed_member(display_name="Jo")
    held = forums.create_thread(newcomer, a_category(), "Hello from Jo", "My first words.")
    declined = forums.create_post(newcomer, forums.get_thread(newcomer, held.thread_id), "Words to decline.")
    items = {post.id: open_item(post) for post in (held, declined)}
    assert all(item is not None and item.reason == "held" for item in items.values())
    page = scene["as"]["moderator"].get(f"/moderation/items/{items[held.id].id}").text
    assert "Waiting for approval" in page and 'value="approve"' in page and 'value="decline"' in page
    assert 'value="keep"' not in page
    thread = scene["as"]["reader"].get(f"/forums/t/{held.thread_id}")
    assert thread.status_code == 404 or "My first words." not in thread.text
    decide(scene["as"]["moderator"], items[held.id].id, "approve")
    assert "My first words." in scene["as"]["reader"].get(f"/forums/t/{held.thread_id}").text
    response = decide(scene["as"]["moderator"], items[declined.id].id, "decline", "")
    assert response.status_code == 400 and "Please write a reason" in response.text
    decide(scene["as"]["moderator"], items[declined.id].id, "decline", "Please share this in the treatments area.")
    assert "Words to decline." not in scene["as"]["reader"].get(f"/forums/t/{held.thread_id}").text
    jo = app.test_client()
    login(newcomer, the_client=jo)
    assert "treatments area" in jo.get(f"/forums/t/{held.thread_id}").text
    standing = jo.get("/standing").text
    assert "did not approve your forum post" in standing and "treatments area" in standing


@pytest.mark.parametrize("action, restriction", [("warn", None), ("silence", "silenced"),
                                                 ("suspend", "suspended"), ("ban", "banned")])
def test_a_decision_can_also_act_about_the_author(scene, db, action, restriction):
    days = "7" if action in ("silence", "suspend") else ""
    response = decide(scene["as"]["moderator"], scene["item"].id, "hide", "This broke the guidelines.",
                      member_action=action, days=days)
    assert response.status_code == 302
    author = db.session.get(type(scene["author"]), scene["author"].id)
    db.session.refresh(author)
    assert author.restriction == restriction
    assert (author.restricted_until is not None) == (action in ("silence", "suspend"))
    assert audit_actions(db) == ["moderation.hide", f"moderation.{action}"]
    standing = scene["as"]["author"].get("/standing")
    if action == "warn":
        assert "A moderator sent you a private warning." in standing.text
    else:
        assert f"Your account is {restriction}" in standing.text


def test_silencing_needs_a_number_of_days_and_nothing_is_applied_without_it(scene, db):
    response = decide(scene["as"]["moderator"], scene["item"].id, "hide", "Not allowed.", member_action="suspend")
    assert response.status_code == 400 and "how many days" in response.text
    assert db.session.get(Post, scene["post"].id).state == "visible"
    assert db.session.get(QueueItem, scene["item"].id).status == "open" and audit_actions(db) == []


def test_a_closed_item_is_read_only_and_says_who_closed_it(scene, db):
    decide(scene["as"]["moderator"], scene["item"].id, "keep")
    page = scene["as"]["moderator"].get(f"/moderation/items/{scene['item'].id}").text
    assert "Closed" in page and "Morgan" in page and 'id="decide"' not in page
    assert 'action="/moderation/items/' not in page


def test_the_queue_page_costs_the_same_number_of_queries_however_long_it_is(scene, db, count_queries):
    with count_queries() as few:
        assert scene["as"]["moderator"].get("/moderation").status_code == 200
    for number in range(6):
        flag(make_member(), a_post(agreed_member(display_name=f"Writer {number}")), "spam")
    with count_queries() as many:
        page = scene["as"]["moderator"].get("/moderation")
    assert page.status_code == 200 and page.text.count('class="card"') == 7
    assert len(many) == len(few)


def test_the_dashboard_counts_by_kind_and_says_how_long_the_oldest_waited(scene, db):
    from datetime import timedelta

    scene["item"].opened_at -= timedelta(hours=3, minutes=5)
    db.session.commit()
    moderation.flag(make_member(), "member", scene["reader"].id, "unkind", "")
    page = scene["as"]["moderator"].get("/moderation").text
    assert re.search(r"<dt>Waiting</dt><dd>2 items</dd>", page)
    assert "<dt>Forum post</dt><dd>1</dd>" in page and "<dt>Member</dt><dd>1</dd>" in page
    assert "<dt>Oldest waiting</dt><dd>3 hours</dd>" in page
    assert "Moderation (2)<span" in page  # the header


def test_non_moderators_cannot_open_or_use_moderation_pages(scene, app, login, db):
    item_id = scene["item"].id
    urls = ["/moderation", f"/moderation/items/{item_id}", f"/moderation/members/{scene['author'].id}"]
    for role in ("reader", "author"):
        for url in urls:
            assert scene["as"][role].get(url).status_code == 403, url
        assert scene["as"][role].post(f"/moderation/items/{item_id}/decide", data={}).status_code in (400, 403)
    registered = app.test_client()
    login(make_user(), the_client=registered)
    for url in urls:
        assert registered.get(url).status_code == 403
        assert "/login" in scene["as"]["anonymous"].get(url).location
    assert "Moderation (" not in scene["as"]["reader"].get("/account").text
    assert db.session.get(QueueItem, item_id).status == "open"


def test_a_moderator_goes_on_and_off_duty(scene, db):
    client = scene["as"]["moderator"]
    page = client.get("/moderation").text
    assert "You are not on duty" in page
    submit(client, "/moderation/duty", {"on": "1"}, page="/moderation")
    assert "You are on duty" in client.get("/moderation").text
    submit(client, "/moderation/duty", {"on": "0"}, page="/moderation")
    assert "You are not on duty" in client.get("/moderation").text


def test_a_member_item_is_closed_with_an_action_about_the_member(scene, db):
    item = moderation.flag(make_member(), "member", scene["reader"].id, "unkind", "Rude messages")
    page = scene["as"]["moderator"].get(f"/moderation/items/{item.id}").text
    assert "Close this item" in page and "Rude messages" in page
    decide(scene["as"]["moderator"], item.id, "keep", "Please be kind in messages.", member_action="warn")
    assert audit_actions(db) == ["moderation.keep", "moderation.warn"]
    assert "A moderator sent you a private warning." in scene["as"]["reader"].get("/standing").text


def test_the_item_page_costs_the_same_queries_however_many_flags_and_how_much_history(scene, db, count_queries):
    moderation.set_setting(None, "flags_to_hide", 20)
    url = f"/moderation/items/{scene['item'].id}"
    db.session.expire_all()  # as in a new request: nothing already loaded
    with count_queries() as few:
        assert scene["as"]["moderator"].get(url).status_code == 200
    for number in range(5):
        flag(make_member(), scene["post"], "spam", f"Flag {number}")
        moderation.act_on_member(moderator(), scene["author"], "warn", f"Warning {number}")
        moderation.add_member_note(moderator(), scene["author"], f"Note {number}")
    db.session.expire_all()
    with count_queries() as many:
        page = scene["as"]["moderator"].get(url).text
    assert "Flag 4" in page and "Warning 4" in page and "Note 4" in page
    assert len(many) == len(few)


def test_item_pages_never_repeat_an_id(scene, db):
    from tests.core.test_unique_ids import duplicate_ids

    client = scene["as"]["moderator"]
    url = f"/moderation/items/{scene['item'].id}"
    assert not duplicate_ids(client.get(url).text)
    assert not duplicate_ids(decide(client, scene["item"].id, "hide", "").text)  # with its errors
    decide(client, scene["item"].id, "hide", "Not kind.")
    assert not duplicate_ids(client.get(url).text)
    assert not duplicate_ids(client.get(f"/moderation/members/{scene['author'].id}").text)
