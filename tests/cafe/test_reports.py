"""Reporting a café message: it reaches the moderation queue, a moderator's decision reaches the room, and a
member cannot read old cafés' messages by guessing ids on the report page."""

from datetime import timedelta

from community.cafe import services
from community.cafe.models import CafeMessage, CafeSession
from community.extensions import db, utcnow
from community.moderation import services as moderation
from community.moderation.models import QueueItem
from tests.cafe.processes import open_session_covering_now
from tests.conftest import submit
from tests.factories import make_member, make_user


def _message_in(session, author, words="A message someone may report"):
    return services.send(author, session, words).message["id"]


def test_a_member_reports_a_message_and_it_waits_in_the_moderation_queue(app, client, login):
    session = db.session.get(CafeSession, open_session_covering_now())
    writer, reporter = make_member(display_name="Writer"), make_member(display_name="Reporter")
    message_id = _message_in(session, writer)
    login(reporter)
    page = client.get(f"/moderation/flag/cafe_message/{message_id}")
    assert page.status_code == 200 and "A message someone may report" in page.text
    response = submit(client, f"/moderation/flag/cafe_message/{message_id}", {"reason": "unkind"})
    assert response.status_code == 302
    item = db.session.scalar(db.select(QueueItem).where(QueueItem.kind == "cafe_message",
                                                        QueueItem.target_id == message_id))
    assert item is not None and item.status == "open" and item.subject_id == writer.id
    # The moderator's page shows the words, escaped, with where they were said.
    moderator = make_user(role="moderator")
    view = moderation.item_view(item)
    assert "A message someone may report" in str(view.content.html)
    moderation.decide(moderator, item.id, item.version, "hide", "Unkind to another member")
    assert db.session.get(CafeMessage, message_id).state == "hidden"
    # Everyone's next catch-up shows it hidden, without its words.
    seen = services.messages_since(reporter, session)
    assert seen[0]["state"] == "hidden" and seen[0]["body"] == "" and seen[0]["removed"]


def test_old_cafes_messages_cannot_be_read_through_the_report_page_by_members(app, client, login):
    now = utcnow()
    old = CafeSession(starts_at=now - timedelta(days=8), ends_at=now - timedelta(days=8) + timedelta(hours=2),
                      local_date=(now - timedelta(days=8)).date(), extra=True)
    db.session.add(old)
    db.session.flush()
    writer = make_member(display_name="Writer")
    message = CafeMessage(session_id=old.id, author_id=writer.id, body="Words from last week's café",
                          created_at=old.starts_at, changed_at=old.starts_at)
    db.session.add(message)
    db.session.commit()
    login(make_member(display_name="Guesser"))
    response = client.get(f"/moderation/flag/cafe_message/{message.id}")
    assert response.status_code == 404 and "last week" not in response.text
