"""Two moderators act on one item at once: the first decision applies, the second is told it was already handled,
and nothing is applied twice (one audit entry, one notice)."""

import pytest

from community.forums.models import Post
from community.moderation import services as moderation
from community.moderation.models import AuditEntry, QueueItem
from community.notifications.models import Notification
from tests.factories import make_member
from tests.forums.forum_data import agreed_member
from tests.moderation.moderation_data import a_post, decide, flag, moderator

pytestmark = pytest.mark.usefixtures("posts_go_up_at_once")


def _moderation_entries(db):
    return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action.in_(
        ["moderation.hide", "moderation.delete", "moderation.keep", "moderation.suspend"]))))


def test_the_second_moderator_is_told_it_was_handled_and_nothing_is_applied_twice(app, login, db):
    author = agreed_member(display_name="Sam")
    post = a_post(author, body="Something unkind.")
    item = flag(make_member(), post, "unkind")
    version = item.version
    first, second = app.test_client(), app.test_client()
    login(moderator(display_name="Morgan"), the_client=first)
    login(moderator(display_name="Kim"), the_client=second)
    # Both open the item before either decides.
    first_page = first.get(f"/moderation/items/{item.id}").text
    second_page = second.get(f"/moderation/items/{item.id}").text
    assert decide(first, item.id, "hide", "Please be kind.", page_html=first_page).status_code == 302
    response = decide(second, item.id, "delete", "Removing it.", page_html=second_page, member_action="suspend",
                      days="3")
    assert response.status_code == 302 and response.location == "/moderation"
    assert moderation.ALREADY_HANDLED in second.get("/moderation").text
    assert db.session.get(Post, post.id).state == "hidden"
    entries = _moderation_entries(db)
    assert [entry.action for entry in entries] == ["moderation.hide"]
    db.session.refresh(author)
    assert author.restriction is None
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.user_id == author.id, Notification.kind == "moderation")) == 1
    closed = db.session.get(QueueItem, item.id)
    assert closed.status == "closed" and closed.outcome == "hide" and closed.version == version + 1


def test_at_the_same_moment_the_database_lets_only_one_claim_the_item(db):
    """The race the page check cannot see: both decisions reach the service with the same version."""
    author = agreed_member()
    post = a_post(author)
    item = flag(make_member(), post)
    version = item.version
    moderation.decide(moderator(), item.id, version, "hide", "First.")
    with pytest.raises(moderation.AlreadyHandled):
        moderation.decide(moderator(), item.id, version, "keep")
    assert db.session.get(Post, post.id).state == "hidden"
    assert [entry.action for entry in _moderation_entries(db)] == ["moderation.hide"]


def test_a_flag_that_joins_while_the_page_is_open_does_not_block_the_decision(app, login, db):
    post = a_post()
    item = flag(make_member(), post)
    client = app.test_client()
    login(moderator(), the_client=client)
    page = client.get(f"/moderation/items/{item.id}").text
    flag(make_member(), post)  # joins the open item
    assert decide(client, item.id, "keep", page_html=page).status_code == 302
    assert db.session.get(QueueItem, item.id).status == "closed"
