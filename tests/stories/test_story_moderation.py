"""Stories in the moderators' queue: sharing with the public opens a queue item; a moderator approves, asks for a
change with a note, or declines, through moderation's own decide(); the author sees the outcome and the note; an
edit goes back to the queue; withdrawing takes the story out of it."""

import pytest
from sqlalchemy import select

from community.accounts.models import User
from community.extensions import db
from community.moderation import services as moderation
from community.moderation.models import AuditEntry, QueueItem
from community.notifications.models import Notification
from community.stories import services as stories
from tests.conftest import csrf_token_from
from tests.factories import make_member, make_user

NOTE = "Please remove the hospital's name."


@pytest.fixture
def author(app):
    return make_member(display_name="Zebedee Quixotic")


@pytest.fixture
def moderator(app):
    return make_user(role="moderator", display_name="Mod Erator")


def _shared(author: User, attribution="anonymous", body="The anaesthetist at St Elsewhere missed it."):
    story = stories.save_story(author, title="Three years flat", body=body)
    stories.share(author, story, "public", attribution, consent_version=stories.CONSENT_VERSION)
    return story


def _open_item(story) -> QueueItem | None:
    return db.session.scalar(select(QueueItem).where(
        QueueItem.kind == "story", QueueItem.target_id == story.id, QueueItem.status == "open"))


def test_sharing_with_the_public_opens_one_queue_item(author, moderator):
    story = _shared(author)
    item = _open_item(story)
    assert item is not None and item.reason == "held" and item.subject_id == author.id
    assert stories.HELD_BECAUSE in item.note
    content = moderation.item_view(item).content
    assert content.state == "pending" and content.author_id == author.id and "St Elsewhere" in content.html
    assert moderation.decisions_for(item, content) == ["approve", "request_changes", "decline", "delete"]
    # Sharing again (another attribution) joins the same item.
    stories.share(author, story, "public", "initials", consent_version=stories.CONSENT_VERSION)
    assert db.session.scalar(select(QueueItem.id).where(QueueItem.kind == "story").limit(2)
                                        .order_by(QueueItem.id.desc())) == item.id
    # Members-only needs no moderator.
    other = stories.save_story(author, title="For members", body="Words.")
    stories.share(author, other, "members", "name")
    assert _open_item(other) is None


def test_request_changes_then_edit_then_approve_through_the_queue(author, moderator, client, login):
    story = _shared(author)
    item = _open_item(story)
    with pytest.raises(moderation.ModerationError):
        moderation.decide(moderator, item.id, item.version, "request_changes", "  ")
    moderation.decide(moderator, item.id, item.version, "request_changes", NOTE)
    assert story.review_state == "changes_requested" and story.review_note == NOTE
    assert not stories.is_public(story) and _open_item(story) is None
    assert item.status == "closed" and item.outcome == "request_changes"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "moderation.request_changes"))
    assert entry.target_type == "story" and entry.target_id == story.id and entry.reason == NOTE
    assert entry.subject_id == author.id and entry.actor_id == moderator.id
    [told] = db.session.scalars(select(Notification).where(Notification.user_id == author.id,
                                                                      Notification.kind == "moderation")).all()
    assert "asked for a change to your story" in told.text and NOTE in told.text
    # The author sees the outcome and the note on their stories page (and in their notices).
    login(author)
    assert NOTE.replace("'", "&#39;") in client.get("/my/stories").text
    assert "asked for a change to your story" in client.get("/standing").text
    # An edit sends it back to the queue.
    stories.save_story(author, story, title="Three years flat", body="The anaesthetist missed it.")
    assert story.review_state == "pending"
    again = _open_item(story)
    assert again is not None and again.id != item.id
    moderation.decide(moderator, again.id, again.version, "approve")
    assert stories.is_public(story) and story.published_html and "Elsewhere" not in story.published_html


def test_approve_through_the_queue_publishes_for_the_public(author, moderator, app):
    story = _shared(author, "initials")
    item = _open_item(story)
    moderation.decide(moderator, item.id, item.version, "approve")
    assert story.review_state == "approved" and stories.is_public(story)
    assert story.published_title == "Three years flat" and story.published_summary
    with app.test_client() as visitor:
        page = visitor.get(f"/stories/{story.id}")
        assert page.status_code == 200 and "By Z. Q." in page.text
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "moderation.approve",
                                                                    AuditEntry.target_id == story.id))


def test_an_edit_of_a_published_story_waits_in_the_queue_while_the_approved_copy_stays(author, moderator, app):
    story = _shared(author)
    item = _open_item(story)
    moderation.decide(moderator, item.id, item.version, "approve")
    stories.save_story(author, story, title="Three years flat", body="New words naming Dr Somebody.")
    item = _open_item(story)
    assert item is not None and story.review_state == "pending" and stories.is_public(story)
    content = moderation.item_view(item).content
    assert content.state == "pending" and "approved version stays up" in content.context
    moderation.decide(moderator, item.id, item.version, "decline", "It names a doctor.")
    assert story.review_state == "declined" and story.review_note == "It names a doctor."
    assert stories.is_public(story) and "Somebody" not in story.published_html
    with app.test_client() as visitor:
        assert "Somebody" not in visitor.get(f"/stories/{story.id}").text


def test_decline_through_the_queue_tells_the_author_why(author, moderator):
    story = _shared(author)
    item = _open_item(story)
    moderation.decide(moderator, item.id, item.version, "decline", "It names other patients.")
    assert story.review_state == "declined" and story.review_note == "It names other patients."
    assert not stories.is_public(story) and _open_item(story) is None
    notices = moderation.notices_for(author)
    assert notices[0].entry.action == "moderation.decline" and notices[0].can_appeal


def test_withdrawing_a_waiting_story_takes_it_out_of_the_queue(author, moderator):
    story = _shared(author)
    item = _open_item(story)
    stories.withdraw(author, story)
    assert _open_item(story) is None and item.outcome == "withdrawn"
    with pytest.raises(moderation.AlreadyHandled):
        moderation.decide(moderator, item.id, item.version, "approve")
    assert not stories.is_public(story)


def test_the_story_rules_own_decisions_close_the_queue_item(author, moderator):
    story = _shared(author)
    stories.request_changes(moderator, story, NOTE)
    assert _open_item(story) is None
    stories.save_story(author, story, title="Three years flat", body="Fixed.")
    stories.approve(moderator, story)
    assert _open_item(story) is None and stories.is_public(story)


def test_moderators_see_the_author_of_an_anonymous_story_in_the_queue_only(author, moderator, client, login):
    story = _shared(author)
    item = _open_item(story)
    login(moderator)
    client.get("/")
    page = client.get(f"/moderation/items/{item.id}")
    assert page.status_code == 200 and "Zebedee Quixotic" in page.text
    assert "Ask the author for a change" in page.text and "Three years flat" in page.text
    story_page = client.get(f"/stories/{story.id}")
    assert story_page.status_code == 200 and "Zebedee" not in story_page.text and "By Anonymous" in story_page.text
    response = client.post(f"/moderation/items/{item.id}/decide",
                           data={"version": item.version, "decision": "request_changes", "reason": NOTE,
                                 "csrf_token": _token(page.text)})
    assert response.status_code == 302
    assert story.review_state == "changes_requested"


def _token(html: str) -> str:
    return csrf_token_from(html)
