"""After posting: editing (history kept for moderators), deleting (a placeholder stays), and the moderators' lock,
pin and move, each recorded in the audit log with the counters of both categories put right."""

from community.forums import services as forums
from community.forums.models import Category, Post, PostRevision, Thread
from community.moderation.models import AuditEntry
from community.moderation.services import Review
from tests.conftest import csrf_token_from, submit
from tests.factories import make_member, make_user
from tests.forums.forum_data import agreed_member, make_category, make_thread


def _moderator():
    return make_user(role="moderator")


def test_an_author_edits_their_post_and_the_old_words_are_kept(client, login, db):
    author = agreed_member(display_name="Sam")
    first = make_thread(author, make_category(), "Old title", "My first words.")
    login(author)
    form = client.get(f"/forums/p/{first.id}/edit").text
    assert 'value="Old title"' in form and "My first words.</textarea>" in form
    response = client.post(f"/forums/p/{first.id}/edit", data={
        "title": "New title", "body": "My better words.", "content_note": "", "action": "post",
        "csrf_token": csrf_token_from(form)})
    assert response.status_code == 302
    post = db.session.get(Post, first.id)
    assert post.body == "My better words." and post.edited_at is not None and post.thread.title == "New title"
    revision = db.session.scalar(db.select(PostRevision))
    assert revision.body == "My first words." and revision.edited_by_id == author.id
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert "edited" in page and "My better words." in page
    # Members never see the history, nor its link.
    assert "History" not in page and client.get(f"/forums/p/{first.id}/history").status_code == 403


def test_moderators_read_a_posts_history(client, login, db):
    author = make_member()
    first = make_thread(author, make_category(), body="Before.")
    forums.edit_post(author, forums.get_post(author, first.id), "After.")
    login(_moderator())
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert f'href="../p/{first.id}/history"' in page  # relative to the page: /forums/p/<id>/history
    history = client.get(f"/forums/p/{first.id}/history").text
    assert "Before." in history and "After." in history and history.count("<h1") == 1


def test_nothing_changed_saves_nothing(db):
    author = make_member()
    first = make_thread(author, make_category(), body="Same.")
    assert forums.edit_post(author, forums.get_post(author, first.id), "Same.") is False
    assert db.session.scalar(db.select(db.func.count(PostRevision.id))) == 0


def test_only_the_author_may_edit_or_delete(client, login, db):
    first = make_thread(make_member(), make_category())
    login(agreed_member())
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert f"/forums/p/{first.id}/edit" not in page and f"/forums/p/{first.id}/delete" not in page
    assert client.get(f"/forums/p/{first.id}/edit").status_code == 403
    assert client.get(f"/forums/p/{first.id}/delete").status_code == 403


def test_an_edit_can_warn_about_contact_details_and_keeps_the_words(client, login, db):
    author = agreed_member()
    first = make_thread(author, make_category(), replies=1)
    reply = db.session.scalar(db.select(Post).where(Post.number == 2))
    login(author)
    response = submit(client, f"/forums/p/{reply.id}/edit", {"body": "Text me on 07700 900123", "action": "post"})
    assert response.status_code == 200 and "Post anyway" in response.text
    assert 'name="title"' not in response.text  # only a thread's first post carries its title
    assert db.session.get(Post, reply.id).body.startswith("Reply number")
    assert first.number == 1


def test_deleting_a_reply_leaves_a_placeholder_and_fixes_the_counters(client, login, db):
    author = agreed_member()
    first = make_thread(make_member(), make_category(), replies=0)
    thread = forums.get_thread(author, first.thread_id)
    reply = forums.create_post(author, thread, "I should not have said that.")
    login(author)
    confirm = client.get(f"/forums/p/{reply.id}/delete").text
    assert "Delete your post?" in confirm and "I should not have said that." in confirm
    response = client.post(f"/forums/p/{reply.id}/delete", data={"csrf_token": csrf_token_from(confirm)})
    assert response.status_code == 302
    thread = db.session.get(Thread, first.thread_id)
    assert thread.reply_count == 0 and thread.last_visible_number == 2
    assert db.session.get(Category, thread.category_id).post_count == 1
    login(make_member(), the_client=(other := client.application.test_client()))
    page = other.get(f"/forums/t/{first.thread_id}").text
    assert "This post was deleted by its author." in page and "I should not have said that." not in page


def test_a_deleted_first_post_keeps_the_thread(client, login, db):
    author = make_member()
    first = make_thread(author, make_category(), "Still here", "Gone words", replies=1,
                        reply_author=make_member(display_name="Priya"))
    forums.delete_post(author, forums.get_post(author, first.id))
    login(make_member())
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert "Still here" in page and "This post was deleted by its author." in page and "Gone words" not in page
    assert "Reply number 1" in page
    category = db.session.get(Category, db.session.get(Thread, first.thread_id).category_id)
    assert category.thread_count == 1 and category.post_count == 1
    # Moderators can still read what it said.
    login(_moderator(), the_client=(mod := client.application.test_client()))
    assert "Gone words" in mod.get(f"/forums/t/{first.thread_id}").text


def test_a_post_waiting_for_a_moderator_deleted_by_its_author_leaves_no_trace_for_others(client, login, db,
                                                                                           monkeypatch):
    from community.forums import services

    first = make_thread(make_member(), make_category())
    author = agreed_member()
    monkeypatch.setattr(services, "review_new_content", lambda *args, **kwargs: Review(state="pending"))
    held = forums.create_post(author, forums.get_thread(author, first.thread_id), "Held words")
    forums.delete_post(author, forums.get_post(author, held.id))
    post = db.session.get(Post, held.id)
    assert post.state == "pending" and post.deleted_at is not None
    login(make_member())
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert "deleted by its author" not in page and page.count('<article aria-labelledby') == 1


def test_moderators_lock_and_unlock_with_an_audit_entry(client, login, db):
    first = make_thread(make_member(), make_category())
    moderator = _moderator()
    login(moderator)
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert "Lock thread" in page and "Pin thread" in page
    response = submit(client, f"/forums/t/{first.thread_id}/lock", {}, page=f"/forums/t/{first.thread_id}")
    assert response.status_code == 302
    assert db.session.get(Thread, first.thread_id).locked
    assert "Unlock thread" in client.get(f"/forums/t/{first.thread_id}").text
    submit(client, f"/forums/t/{first.thread_id}/unlock", {}, page=f"/forums/t/{first.thread_id}")
    assert not db.session.get(Thread, first.thread_id).locked
    actions = [entry.action for entry in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-2:] == ["forum.thread_locked", "forum.thread_unlocked"]
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "forum.thread_locked"))
    assert entry.actor_id == moderator.id and entry.target_type == "forum_thread" and entry.target_id == first.thread_id


def test_moderators_pin_and_unpin(client, login, db):
    first = make_thread(make_member(), make_category())
    login(_moderator())
    submit(client, f"/forums/t/{first.thread_id}/pin", {}, page=f"/forums/t/{first.thread_id}")
    assert db.session.get(Thread, first.thread_id).pinned
    submit(client, f"/forums/t/{first.thread_id}/unpin", {}, page=f"/forums/t/{first.thread_id}")
    assert not db.session.get(Thread, first.thread_id).pinned
    actions = list(db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.target_type == "forum_thread")))
    assert actions == ["forum.thread_pinned", "forum.thread_unpinned"]


def test_members_cannot_use_the_moderators_buttons(client, login, db):
    first = make_thread(make_member(), make_category())
    login(agreed_member())
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert "Lock thread" not in page and "Move thread" not in page
    token = csrf_token_from(page)
    for action in ("lock", "pin", "move"):
        assert client.post(f"/forums/t/{first.thread_id}/{action}", data={"csrf_token": token}).status_code == 403
    assert not db.session.get(Thread, first.thread_id).locked


def test_moving_a_thread_fixes_both_categories_counters(client, login, db):
    admin = make_user(role="admin", two_factor_on=False)
    source = make_category("Introductions", admin=admin)
    target = make_category("Living with a leak", admin=admin)
    make_thread(make_member(), source, "Stays")
    moving = make_thread(make_member(), source, "Moves", replies=2)
    login(_moderator())
    response = submit(client, f"/forums/t/{moving.thread_id}/move", {"category": str(target.id)},
                      page=f"/forums/t/{moving.thread_id}")
    assert response.status_code == 302
    assert db.session.get(Thread, moving.thread_id).category_id == target.id
    source, target = db.session.get(Category, source.id), db.session.get(Category, target.id)
    assert (source.thread_count, source.post_count) == (1, 1)
    assert (target.thread_count, target.post_count) == (1, 3)
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "forum.thread_moved"))
    assert "from “Introductions” to “Living with a leak”" in entry.detail
    assert "Moves" in client.get(f"/forums/{target.slug}").text
    assert "Moves" not in client.get(f"/forums/{source.slug}").text
