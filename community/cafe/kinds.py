"""Café messages as a kind of content moderation looks after (a member reports one; crisis wording and watched
words put one in the queue). Registered when the app starts; nothing here commits (moderation does). After a
moderator's decision the room is told, so open clients show the message's new state."""

from collections.abc import Iterable
from datetime import timedelta

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from community.extensions import db, utcnow
from community.moderation import registry
from community.moderation.services import ModerationError
from community.permissions import has_member_access, is_moderator

from .models import CafeMessage
from .schedule import is_session_open
from .services import REVIEW_KIND, _as_data, _broadcast


def _messages(ids: Iterable[int]) -> list[CafeMessage]:
    ids = list(ids)
    if not ids:
        return []
    return list(db.session.scalars(select(CafeMessage).options(joinedload(CafeMessage.session),
                                                               joinedload(CafeMessage.author))
                                   .where(CafeMessage.id.in_(ids))))


def _message(message_id: int) -> CafeMessage:
    message = next(iter(_messages([message_id])), None)
    if message is None:
        raise ModerationError("We could not find that café message. It may have been removed after the café's "
                              "retention period.")
    return message


def _as_html(body: str) -> Markup:
    """Chat messages are plain text: escaped, with their line breaks kept."""
    return Markup("<p>") + Markup("<br>").join(escape(line) for line in body.split("\n")) + Markup("</p>")


def _address(message: CafeMessage) -> str | None:
    """Where the message can be seen: in the room while its café is on (a café that ended has no page)."""
    return f"/cafe/room#m-{message.id}" if is_session_open(message.session) else None


def load_many(ids: Iterable[int]) -> dict[int, registry.Content]:
    found = {}
    for message in _messages(ids):
        when = message.session.starts_at.strftime("%d %B %Y")
        found[message.id] = registry.Content(
            kind=REVIEW_KIND, id=message.id, author_id=message.author_id,
            title=f"Message in the Leaky Café of {when}", html=_as_html(message.body), text=message.body,
            context="Leaky Café", url=_address(message),
            state={"deleted": "deleted", "hidden": "hidden", "pending": "pending"}.get(message.state, "visible"),
            created_at=message.created_at, hidden_reason=message.hidden_reason)
    return found


# A member may report a message while its café runs and for a day after (someone may only find the words to say
# what upset them the next morning); older cafés' messages are for moderators only, not for guessed ids.
REPORTABLE_AFTER = timedelta(days=1)


def can_see(user, message_id: int) -> bool:
    """A member sees the messages of a café that is on or ended within a day (held ones only when they wrote
    them); moderators see every message still kept."""
    if not has_member_access(user):
        return False
    message = db.session.get(CafeMessage, message_id)
    if message is None or message.state == "deleted":
        return False
    if not is_moderator(user) and message.session.ends_at + REPORTABLE_AFTER < utcnow():
        return False
    if message.state in ("hidden", "pending"):
        return is_moderator(user) or (message.state == "pending" and message.author_id == user.id)
    return True


def _set_state(message_id: int, moderator, state: str, reason: str = "") -> CafeMessage:
    message = _message(message_id)
    message.state, message.changed_at = state, utcnow()
    message.hidden_reason = reason
    message.hidden_by_id = moderator.id if moderator and state != "visible" else None
    return message


def _tell_room(message_id: int) -> None:
    """After the decision is committed: open clients show the message's new state."""
    message = _message(message_id)
    _broadcast(message.session, _as_data([message])[0])


def hide(message_id: int, moderator, reason: str) -> None:
    _set_state(message_id, moderator, "hidden", reason)


def restore(message_id: int, moderator) -> None:
    _set_state(message_id, moderator, "visible")


def delete(message_id: int, moderator) -> None:
    _set_state(message_id, moderator, "deleted")


def approve(message_id: int, moderator) -> bool:
    message = _message(message_id)
    if message.state != "pending":
        return False
    _set_state(message_id, moderator, "visible")
    return True


def decline(message_id: int, moderator, reason: str) -> None:
    _set_state(message_id, moderator, "hidden", reason)


def register() -> None:
    registry.register(registry.ContentKind(
        name=REVIEW_KIND, label="Café message", load_many=load_many, can_see=can_see, hide=hide, restore=restore,
        delete=delete, approve=approve, decline=decline, after_published=_tell_room))
