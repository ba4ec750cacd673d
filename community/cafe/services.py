"""The café room's rules: who may be in it and write, sending (saved before it is broadcast, once even when sent
twice), catching up after a dropped connection, reactions, "taking a break", presence, and the hosts' tools
(topic, slow mode, delete, mute, remove). Socket events (events.py) and the plain-HTML fallback (routes.py) both
come here, so a message sent either way follows the same rules and reaches the room the same way."""

import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import Select, bindparam, delete, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from community.accounts.models import User
from community.action_limits import ActionLimit
from community.dates import local_time
from community.extensions import db, utcnow
from community.moderation.services import ContentBlocked, content_written, record_action, review_new_content
from community.permissions import STAFF_ROLES, can_write, has_member_access, is_moderator, is_suspended
from community.refusals import Refusal

from . import realtime
from .models import REACTIONS, CafeMessage, CafePresence, CafeReaction, CafeRoomRestriction, CafeSession
from .schedule import is_session_open

log = logging.getLogger(__name__)

REVIEW_KIND = "cafe_message"
BODY_MAX = 1000
TOPIC_MAX = 200
SLOW_MODE_CHOICES = (0, 10, 30, 60, 120)
# Presence rows are refreshed by each client's catch-up every few seconds; older ones belong to dead processes.
PRESENCE_FRESH = timedelta(seconds=45)
PRESENCE_REFRESH = timedelta(seconds=15)
# Changes are asked for "since" a time; a little overlap covers clocks a moment apart on two servers.
CHANGES_OVERLAP = timedelta(seconds=10)
SEND_LIMIT = ActionLimit("cafe-message", "5 per 10 seconds;40 per 5 minutes")
BREAK_TEXT = "is taking a break and will be back soon."
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
# Ids are 32-bit integers on PostgreSQL (and SQLite overflows past 64 bits): a bigger number names nothing.
ID_MAX = 2**31 - 1

CLOSED = "The café room is closed just now. The café page says when it next opens."
NOT_A_MEMBER = "The Leaky Café is for members. The membership page explains how to join."
REMOVED = "A host has asked you to leave this café session. You can come back next week."
MUTED = "A host has paused your messages for the rest of this session. You can still read along."
CANNOT_WRITE = "Your account cannot send messages just now. Your standing page says why."
TOO_FAST = "You are sending messages quickly, so this one has not been sent yet. Please wait a moment and send it " \
           "again. Your words are still here."


class CafeError(Refusal):
    """Something the room refuses, with a kind message (the client keeps the words)."""


def is_host(user) -> bool:
    """Moderators and admins host the café."""
    return is_moderator(user)


# The room's statements read on every page and catch-up are built once a process, with the session and the reader as
# bound parameters: building a SELECT (and its cache key) costs more than running it.

@cache
def _restriction_statement() -> Select:
    return select(CafeRoomRestriction.kind).where(CafeRoomRestriction.session_id == bindparam("session_id"),
                                                  CafeRoomRestriction.user_id == bindparam("user_id"))


def room_restriction(session: CafeSession, user) -> str | None:
    """The member's mute ("muted") or removal ("removed") in this session, or None."""
    return db.session.scalar(_restriction_statement(), {"session_id": session.id, "user_id": user.id})


# `restriction` below: the member's room_restriction when the caller has it already (a query saved), else _ASK.
_ASK = object()


def may_enter(user, session: CafeSession | None, restriction=_ASK) -> str | None:
    """None when `user` may be in the room now, else why not (a message for them)."""
    if not (user and user.is_authenticated) or not has_member_access(user) or is_suspended(user):
        return NOT_A_MEMBER if not is_suspended(user) else CANNOT_WRITE
    if session is None or not is_session_open(session):
        return CLOSED
    if (room_restriction(session, user) if restriction is _ASK else restriction) == "removed":
        return REMOVED
    return None


def _why_not_write(user, session: CafeSession, restriction=_ASK) -> str | None:
    refusal = may_enter(user, session, restriction)
    if refusal:
        return refusal
    if not can_write(user):
        return CANNOT_WRITE
    if (room_restriction(session, user) if restriction is _ASK else restriction) == "muted":
        return MUTED
    return None


# What clients see ---------------------------------------------------------------------------------------------

Reactions = dict[int, dict[str, list[int]]]  # message id → reaction kind → who gave it, in the order given


@dataclass(frozen=True)
class MessageRow:
    """What the room shows of a message and its author: read as plain columns (`_message_rows`), since the room page
    reads a whole session's messages on every load and ORM objects with their authors cost several times more."""

    id: int
    kind: str
    body: str
    state: str
    reply_to_id: int | None
    author_id: int | None
    created_at: datetime
    author_name: str | None
    author_role: str | None


_MESSAGE_COLUMNS = (CafeMessage.id, CafeMessage.kind, CafeMessage.body, CafeMessage.state, CafeMessage.reply_to_id,
                    CafeMessage.author_id, CafeMessage.created_at, User.display_name.label("author_name"),
                    User.role.label("author_role"))


def _message_rows(*conditions) -> list:
    """Messages (rows shaped like MessageRow) with their authors, in one query, oldest first."""
    return list(db.session.execute(select(*_MESSAGE_COLUMNS).outerjoin(User, User.id == CafeMessage.author_id)
                                   .where(*conditions).order_by(CafeMessage.id)))


def _row_of(message: CafeMessage) -> MessageRow:
    author = message.author
    return MessageRow(message.id, message.kind, message.body, message.state, message.reply_to_id, message.author_id,
                      message.created_at, author.display_name if author else None, author.role if author else None)


def _author_name(message: MessageRow) -> str:
    return message.author_name if message.author_name is not None else "A former member"


def _words_shown(message: MessageRow) -> tuple[str, str]:
    """(its words, the note shown in their place): a message a host removed or a moderator hid shows only the note."""
    if message.state == "visible" or message.state == "pending":
        return message.body, ""
    return "", "Removed by a host." if message.state == "deleted" else "Hidden by a moderator."


class ReplyTo(NamedTuple):
    """The message a message answers, as the room shows it above the answer."""

    id: int
    author: str
    # Its first words, while it is shown to everyone.
    excerpt: str


def _reply_to(message: MessageRow, replied: dict[int, MessageRow]) -> ReplyTo | None:
    reply = replied.get(message.reply_to_id) if message.reply_to_id else None
    if reply is None:
        return None
    return ReplyTo(reply.id, _author_name(reply), reply.body[:80] if reply.state == "visible" else "")


def message_data(message: MessageRow, reactions: Reactions, replied: dict[int, MessageRow]) -> dict:
    """A message as JSON for the room (text, never HTML: the client puts it in with textContent)."""
    body, removed = _words_shown(message)
    reply = _reply_to(message, replied)
    return {
        "id": message.id,
        "kind": message.kind,
        "author": _author_name(message),
        "author_id": message.author_id,
        # Hosts cannot mute or remove one another, so their pages offer it only for other members' messages.
        "author_host": message.author_role in STAFF_ROLES,
        "body": body,
        "state": message.state,
        "removed": removed,
        "at": message.created_at.isoformat(),
        "reply_to": reply._asdict() if reply else None,
        "reactions": reactions.get(message.id, {}),
    }


def _visible_to_reader(host: bool):
    """Messages everyone in the room sees, plus a held message to its author and the hosts. For a statement built
    once: the reader's id is the bound parameter "reader_id" (not needed for a host)."""
    if host:
        return true()
    return or_(CafeMessage.state != "pending", CafeMessage.author_id == bindparam("reader_id"))


def _rows_as_data(messages: list, reactions: Reactions | None = None,
                  replied: dict[int, MessageRow] | None = None) -> list[dict]:
    """Messages as JSON for the room: a query for their reactions and one for the messages they reply to (if any),
    unless given, whatever the number of messages."""
    ids = [message.id for message in messages]
    if reactions is None:
        reactions = {}
        if ids:
            for row in db.session.execute(select(CafeReaction.message_id, CafeReaction.kind, CafeReaction.user_id)
                                          .where(CafeReaction.message_id.in_(ids))
                                          .order_by(CafeReaction.created_at)):
                reactions.setdefault(row.message_id, {}).setdefault(row.kind, []).append(row.user_id)
    if replied is None:
        reply_ids = {message.reply_to_id for message in messages if message.reply_to_id}
        replied = {row.id: row for row in _message_rows(CafeMessage.id.in_(reply_ids))} if reply_ids else {}
    return [message_data(message, reactions, replied) for message in messages]


def _as_data(messages: list[CafeMessage]) -> list[dict]:
    """Messages already loaded as ORM objects (one just sent or changed) as JSON for the room."""
    return _rows_as_data([_row_of(message) for message in messages])


@cache
def _messages_statement(host: bool, catching_up: bool, latest: bool = False) -> Select:
    """The session's messages with their authors, their reactions (a row per reaction) and the message each replies
    to, joined. Bound parameters: "session_id", "after_id", "changed_since" (catching up) and "reader_id" (not for
    a host). With `latest`, only the last "latest" messages the reader may see, and on each row ("earlier") how many
    come before them: a room page late in a busy café reads the 25 it shows, not the hundreds before."""
    reply, reply_author = aliased(CafeMessage, name="reply"), aliased(User, name="reply_author")
    condition = CafeMessage.id > bindparam("after_id")
    if catching_up:
        condition = or_(condition, CafeMessage.changed_at >= bindparam("changed_since"))
    window: tuple = ()
    if latest:
        readable = (CafeMessage.session_id == bindparam("session_id"), _visible_to_reader(host))
        # The id of the oldest message shown (0 when there are fewer than "latest"): worked out once, not per row.
        first_shown = func.coalesce(select(CafeMessage.id).where(*readable).order_by(CafeMessage.id.desc())
                                    .offset(bindparam("skip")).limit(1).scalar_subquery(), 0)
        condition = condition & (CafeMessage.id >= first_shown)
        window = (select(func.count()).select_from(CafeMessage).where(*readable, CafeMessage.id < first_shown)
                  .scalar_subquery().label("earlier"),)
    return (select(*_MESSAGE_COLUMNS, CafeReaction.kind.label("reaction"), CafeReaction.user_id.label("reacted_by"),
                   reply.body.label("reply_body"), reply.state.label("reply_state"),
                   reply.author_id.label("reply_author_id"), reply.created_at.label("reply_at"),
                   reply_author.display_name.label("reply_author"), *window)
            .outerjoin(User, User.id == CafeMessage.author_id)
            .outerjoin(CafeReaction, CafeReaction.message_id == CafeMessage.id)
            .outerjoin(reply, reply.id == CafeMessage.reply_to_id)
            .outerjoin(reply_author, reply_author.id == reply.author_id)
            .where(CafeMessage.session_id == bindparam("session_id"), condition, _visible_to_reader(host))
            .order_by(CafeMessage.id, CafeReaction.created_at))


def _session_messages(user, session: CafeSession, after_id: int = 0, changed_since: datetime | None = None,
                      latest: int | None = None) -> tuple[list, Reactions, dict[int, MessageRow]]:
    """The messages `user` may see (rows shaped like MessageRow, oldest first), with their reactions and the
    messages they reply to: every message after `after_id`, and any earlier one changed since `changed_since`
    (only the last `latest`, if given; each row's "earlier" says how many come before). One query, for the room
    page and every catch-up."""
    host = is_host(user)
    parameters = {"session_id": session.id, "after_id": after_id}
    if changed_since is not None:
        parameters["changed_since"] = changed_since - CHANGES_OVERLAP
    if latest is not None:
        parameters["skip"] = latest - 1
    if not host:
        parameters["reader_id"] = user.id
    messages: dict[int, object] = {}
    reactions: Reactions = {}
    replied: dict[int, MessageRow] = {}
    statement = _messages_statement(host, changed_since is not None, latest is not None)
    for row in db.session.execute(statement, parameters):
        messages.setdefault(row.id, row)
        if row.reaction is not None:
            reactions.setdefault(row.id, {}).setdefault(row.reaction, []).append(row.reacted_by)
        if row.reply_body is not None:
            replied[row.reply_to_id] = MessageRow(row.reply_to_id, "", row.reply_body, row.reply_state, None,
                                                  row.reply_author_id, row.reply_at, row.reply_author, None)
    return list(messages.values()), reactions, replied


def messages_since(user, session: CafeSession, after_id: int = 0, changed_since: datetime | None = None) -> list[dict]:
    """Every message after `after_id`, and any earlier one changed since `changed_since` (a reaction, a deletion):
    exactly what a client holding up to `after_id` has not seen, as JSON."""
    messages, reactions, replied = _session_messages(user, session, after_id, changed_since)
    return [message_data(message, reactions, replied) for message in messages]


@cache
def _people_statement() -> Select:
    return (select(User.id, User.display_name, User.role).join(CafePresence, CafePresence.user_id == User.id)
            .where(CafePresence.session_id == bindparam("session_id"), CafePresence.seen_at >= bindparam("fresh"))
            .group_by(User.id, User.display_name, User.role).order_by(User.display_name))


def people_here(session: CafeSession) -> list[dict]:
    """Who is in the room now (display names, each once), across every server process."""
    rows = db.session.execute(_people_statement(), {"session_id": session.id, "fresh": utcnow() - PRESENCE_FRESH})
    return [{"id": row.id, "name": row.display_name, "host": row.role in STAFF_ROLES} for row in rows]


def room_state(user, session: CafeSession, restriction=_ASK) -> dict:
    """Everything a client needs on joining: the session so far, who is here, the topic and the rules in force."""
    if restriction is _ASK:
        restriction = room_restriction(session, user)
    return {
        "session_id": session.id,
        "ends_at": session.ends_at.isoformat(),
        "topic": session.topic,
        "slow_mode": session.slow_mode_seconds,
        "host": is_host(user),
        "me": user.id,
        "muted": restriction == "muted",
        # Hosts' pages offer "Unmute" for these members (after a reload too).
        "muted_members": list(db.session.scalars(select(CafeRoomRestriction.user_id).where(
            CafeRoomRestriction.session_id == session.id, CafeRoomRestriction.kind == "muted")))
        if is_host(user) else [],
        "can_write": _why_not_write(user, session, restriction) is None,
        "people": people_here(session),
        "messages": messages_since(user, session),
        "now": utcnow().isoformat(),
        "body_max": BODY_MAX,
        "reactions": REACTIONS,
        # False while pushes between server processes are held up (Redis away): the page says others' messages
        # may take a few seconds, as they then come with its next catch-up.
        "live": realtime.live(),
    }


# The room page ------------------------------------------------------------------------------------------------

@dataclass(slots=True)
class RoomMessage:
    """One message as the room page draws it, worked out once in Python from its plain row, so that the template
    only puts words into markup: the words message_data gives the live script, its time in the reader's time
    zone, and what the reader may do with it."""

    id: int
    kind: str
    state: str
    author: str
    author_id: int | None
    body: str
    removed: str
    # When it was sent: in UTC for <time datetime> ("2027-03-03T19:05:00Z"), and on the reader's clock ("19:05").
    at: str
    clock: str
    reply_to: ReplyTo | None
    # Like "Sending love 2 · Hug 1", in the order the room offers them ("" once it is gone).
    reaction_counts: str
    # Its list item's classes: "cafe-break" (a "taking a break" note), " cafe-gone" (removed or hidden), or "".
    classes: str
    # Removed by a host or hidden by a moderator: only the note in place of its words is shown.
    gone: bool
    # A "taking a break" note still shown: its words follow its author's name.
    break_note: bool
    # Sent by the reader.
    mine: bool
    # Its links: Reply (a message, not a break note) and Report (someone else's), while it is shown to everyone.
    can_reply: bool
    can_report: bool


def _reaction_counts(given: dict[str, list[int]]) -> str:
    return " · ".join(f"{label} {len(given[kind])}" for kind, label in REACTIONS.items() if given.get(kind))


def _room_message(message: MessageRow, reactions: Reactions, replied: dict[int, MessageRow], reader_id: int,
                  zone: str) -> RoomMessage:
    body, removed = _words_shown(message)
    gone, break_note = bool(removed), message.kind == "break"
    shown_to_all, mine = message.state == "visible", message.author_id == reader_id
    given = reactions.get(message.id)
    return RoomMessage(
        message.id, message.kind, message.state, _author_name(message), message.author_id, body, removed,
        message.created_at.isoformat()[:19] + "Z", local_time(message.created_at, "%H:%M", zone),
        _reply_to(message, replied), _reaction_counts(given) if given and not gone else "",
        ("cafe-break" if break_note else "") + (" cafe-gone" if gone else ""), gone, break_note and not gone, mine,
        shown_to_all and message.kind == "message", shown_to_all and not mine)


@dataclass
class RoomPage:
    """What the room page shows: the session's topic and rules, who is here, and its messages as the reader sees
    them (the latest ones, or all)."""

    topic: str
    slow_mode: int
    host: bool
    muted: bool
    can_write: bool
    people: list[dict]
    # When the room closes, on the reader's clock.
    ends_clock: str
    messages: list[RoomMessage] = field(default_factory=list)
    # How many earlier messages are left out.
    earlier: int = 0
    # The message the reader is answering (a message shown to everyone), if any.
    replying: RoomMessage | None = None


def room_page(user, session: CafeSession, restriction: str | None, zone: str, latest: int | None = None,
              reply_to: int | None = None) -> RoomPage:
    """The room as `user` sees it on the page (the JSON the live script gets is room_state's): the latest
    `latest` messages (all when None), their times in `zone`, and the message `reply_to` if they may answer it.
    `restriction` is the reader's room_restriction. Two queries (who is here; the messages shown with their
    authors, reactions and replies), however many messages; a third only to answer a message no longer shown."""
    rows, reactions, replied = _session_messages(user, session, latest=latest)
    earlier = rows[0].earlier if rows and latest is not None else 0
    page = RoomPage(session.topic, session.slow_mode_seconds, is_host(user), restriction == "muted",
                    _why_not_write(user, session, restriction) is None, people_here(session),
                    local_time(session.ends_at, "%H:%M", zone), earlier=earlier)
    page.messages = [_room_message(row, reactions, replied, user.id, zone) for row in rows]
    if reply_to is not None:
        answered = next((row for row in rows if row.id == reply_to and row.state == "visible"), None)
        if answered is None and rows and reply_to < rows[0].id:  # an earlier message than the page shows
            answered = next(iter(_message_rows(CafeMessage.id == reply_to, CafeMessage.session_id == session.id,
                                               CafeMessage.state == "visible")), None)
        if answered is not None:
            page.replying = _room_message(answered, reactions, replied, user.id, zone)
    return page


# Presence -----------------------------------------------------------------------------------------------------

# Each open tab or device is a socket; more than this is not a person reading along but something gone wrong.
SOCKETS_PER_MEMBER = 5
TOO_MANY_SOCKETS = ("The café is open in several tabs or devices already. Please close one of them, then come back "
                    "to this one.")


def too_many_sockets(user, session: CafeSession) -> bool:
    fresh = utcnow() - PRESENCE_FRESH
    return (db.session.scalar(select(func.count()).select_from(CafePresence).where(
        CafePresence.user_id == user.id, CafePresence.session_id == session.id, CafePresence.seen_at >= fresh))
        or 0) >= SOCKETS_PER_MEMBER


def arrive(user, session: CafeSession, sid: str) -> None:
    login_session = getattr(user, "current_session", None)
    db.session.merge(CafePresence(sid=sid, user_id=user.id, session_id=session.id,
                                  login_session_id=login_session.id if login_session else None,
                                  seen_at=utcnow()))
    db.session.commit()
    _tell_who_is_here(session)


def still_here(sid: str) -> None:
    """Refresh this socket's presence now and then (not on every catch-up: that would write every few seconds)."""
    now = utcnow()
    db.session.execute(update(CafePresence).where(CafePresence.sid == sid,
                                                  CafePresence.seen_at < now - PRESENCE_REFRESH)
                       .values(seen_at=now))
    db.session.commit()


def leave(sid: str) -> None:
    session_id = db.session.scalar(select(CafePresence.session_id).where(CafePresence.sid == sid))
    db.session.execute(delete(CafePresence).where(CafePresence.sid == sid))
    db.session.commit()
    if session_id is not None:
        session = db.session.get(CafeSession, session_id)
        if session is not None:
            _tell_who_is_here(session)


def _tell_who_is_here(session: CafeSession) -> None:
    realtime.emit("people", people_here(session), realtime.session_room(session.id))


def sockets_of(user_id: int, login_session_id: int | None = None) -> list[str]:
    statement = select(CafePresence.sid).where(CafePresence.user_id == user_id)
    if login_session_id is not None:
        statement = statement.where(CafePresence.login_session_id == login_session_id)
    return list(db.session.scalars(statement))


def close_sockets(user_id: int, why: str, login_session_id: int | None = None) -> None:
    """Close a member's open café sockets (all of them, or those of one log-in) on every server process."""
    sids = sockets_of(user_id, login_session_id)
    if not sids:
        return
    db.session.execute(delete(CafePresence).where(CafePresence.sid.in_(sids)))
    db.session.commit()
    realtime.disconnect(sids, {"message": why})


# Sending ------------------------------------------------------------------------------------------------------

@dataclass
class Sent:
    message: dict
    crisis: bool = False
    repeated: bool = False


def _clean_body(body) -> str:
    if not isinstance(body, str):
        raise CafeError("Please write a message first.", "body")
    body = body.replace("\x00", "").replace("\r\n", "\n").strip()
    body = re.sub(r"\n{3,}", "\n\n", body)
    if not body:
        raise CafeError("Please write a message first.", "body")
    if len(body) > BODY_MAX:
        raise CafeError(f"Messages can be up to {BODY_MAX} characters; this one has {len(body)}. Please shorten it "
                        "or send it in two parts.", "body")
    return body


def _clean_token(token) -> str:
    """The client's id for this message, so sending it again after a dropped connection saves it once."""
    if isinstance(token, str) and _TOKEN.match(token):
        return token
    return secrets.token_urlsafe(16)


def _existing(user, token: str) -> CafeMessage | None:
    return db.session.scalar(select(CafeMessage).options(joinedload(CafeMessage.author))
                             .where(CafeMessage.author_id == user.id, CafeMessage.client_token == token))


def _check_slow_mode(user, session: CafeSession) -> None:
    if not session.slow_mode_seconds or is_host(user):
        return
    last = db.session.scalar(select(func.max(CafeMessage.created_at)).where(
        CafeMessage.session_id == session.id, CafeMessage.author_id == user.id, CafeMessage.kind == "message"))
    if last is not None:
        wait = session.slow_mode_seconds - (utcnow() - last).total_seconds()
        if wait > 0:
            raise CafeError(f"Slow mode is on: one message every {session.slow_mode_seconds} seconds, so the room "
                            f"can keep up. Please wait {int(wait) + 1} more seconds, then send again. Your words "
                            "are still here.", "body")


def send(user, session: CafeSession, body, *, reply_to=None, token=None, kind: str = "message") -> Sent:
    """Save a message, then tell the room. A repeat of a message already saved (same token) is answered with the
    saved one and not sent again. Crisis wording is never refused: the writer is shown help and hosts are told."""
    refusal = _why_not_write(user, session)
    if refusal:
        raise CafeError(refusal)
    token = _clean_token(token)
    existing = _existing(user, token)
    if existing is not None:
        return Sent(_as_data([existing])[0], repeated=True)
    body = BREAK_TEXT if kind == "break" else _clean_body(body)
    if not SEND_LIMIT.allows(f"member:{user.id}"):
        raise CafeError(TOO_FAST, "body")
    if kind == "message":
        _check_slow_mode(user, session)
    try:
        review = review_new_content(REVIEW_KIND, user, body)
    except ContentBlocked as blocked:
        raise CafeError(blocked.message, "body") from None
    reply_to_id = _reply_target(session, reply_to)
    now = utcnow()
    message = CafeMessage(session_id=session.id, author_id=user.id, author=user, kind=kind, body=body,
                          reply_to_id=reply_to_id, client_token=token, state=review.state, created_at=now,
                          changed_at=now)
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError:
        # The same message, sent twice at the same moment (two tabs, a retry racing the first try).
        db.session.rollback()
        existing = _existing(user, token)
        if existing is None:
            raise
        return Sent(_as_data([existing])[0], repeated=True)
    content_written(REVIEW_KIND, message.id, user, review)
    db.session.commit()
    SEND_LIMIT.count(f"member:{user.id}")
    data = _as_data([message])[0]
    _broadcast(session, data)
    if review.crisis:
        realtime.emit("host_alert", {"text": f"{user.display_name}’s message suggests they may be in crisis. "
                                             "They have been shown where to find help.", "message_id": message.id},
                      realtime.hosts_room(session.id))
    return Sent(data, crisis=review.crisis)


def as_id(value) -> int | None:
    """A client's id as a row id, or None when it cannot be one (text, a list, a huge or negative number)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= ID_MAX else None


def _reply_target(session: CafeSession, reply_to) -> int | None:
    if reply_to in (None, "", 0):
        return None
    try:
        reply_id = int(reply_to)
    except (TypeError, ValueError, OverflowError):
        return None
    target = db.session.get(CafeMessage, reply_id) if as_id(reply_id) else None
    if target is None or target.session_id != session.id or target.state != "visible":
        raise CafeError("The message you are replying to is no longer there. Your words are still here: send them "
                        "without the reply, or choose another message.", "body")
    return target.id


def _broadcast(session: CafeSession, data: dict) -> None:
    """A held message goes only to the hosts and its author; everything else to the whole room."""
    if data["state"] == "pending":
        realtime.emit("message", data, realtime.hosts_room(session.id))
        if data["author_id"]:
            realtime.emit("message", data, realtime.member_room(data["author_id"]))
    else:
        realtime.emit("message", data, realtime.session_room(session.id))


def take_a_break(user, session: CafeSession, token=None) -> Sent:
    return send(user, session, None, token=token, kind="break")


def _message_in(session: CafeSession, message_id) -> CafeMessage:
    message_id = as_id(message_id)
    message = db.session.get(CafeMessage, message_id) if message_id is not None else None
    if message is None or message.session_id != session.id:
        raise CafeError("That message is no longer there.")
    return message


def _changed(session: CafeSession, message: CafeMessage) -> None:
    """After a change to `message` is committed: send its new state to the room."""
    _broadcast(session, _as_data([message])[0])


def react(user, session: CafeSession, message_id, kind) -> dict:
    """Give or take back a reaction."""
    refusal = _why_not_write(user, session)
    if refusal:
        raise CafeError(refusal)
    if not isinstance(kind, str) or kind not in REACTIONS:
        raise CafeError("Please choose one of the reactions shown.")
    message = _message_in(session, message_id)
    if message.state != "visible":
        raise CafeError("That message is no longer there.")
    mine = db.session.get(CafeReaction, (message.id, user.id, kind))
    if mine is None:
        try:
            with db.session.begin_nested():
                db.session.add(CafeReaction(message_id=message.id, user_id=user.id, kind=kind))
        except IntegrityError:
            pass  # a double tap: already given
    else:
        db.session.delete(mine)
    message.changed_at = utcnow()
    db.session.commit()
    _changed(session, message)
    return _as_data([message])[0]


# Hosts --------------------------------------------------------------------------------------------------------

def _require_host(user, session: CafeSession) -> None:
    if not is_host(user) or may_enter(user, session):
        raise CafeError("Only the café's hosts can do that.")


def set_topic(host, session: CafeSession, topic) -> None:
    _require_host(host, session)
    topic = " ".join(str(topic or "").replace("\x00", "").split())
    if len(topic) > TOPIC_MAX:
        raise CafeError(f"Please keep the topic to {TOPIC_MAX} characters.", "topic")
    session.topic = topic
    record_action(host, "cafe.topic", "cafe_session", session.id, detail=topic or "(cleared)")
    db.session.commit()
    realtime.emit("topic", {"topic": topic}, realtime.session_room(session.id))


def set_slow_mode(host, session: CafeSession, seconds) -> None:
    _require_host(host, session)
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        seconds = -1
    if seconds not in SLOW_MODE_CHOICES:
        raise CafeError("Please choose one of the slow mode settings offered.", "slow_mode")
    session.slow_mode_seconds = seconds
    record_action(host, "cafe.slow_mode", "cafe_session", session.id, detail=f"{seconds} seconds")
    db.session.commit()
    realtime.emit("slow_mode", {"seconds": seconds}, realtime.session_room(session.id))


def delete_message(host, session: CafeSession, message_id, reason: str = "") -> None:
    _require_host(host, session)
    message = _message_in(session, message_id)
    if message.state == "deleted":
        return
    message.state, message.hidden_by_id, message.changed_at = "deleted", host.id, utcnow()
    message.hidden_reason = str(reason or "")[:500]
    record_action(host, "cafe.delete", REVIEW_KIND, message.id, subject_id=message.author_id,
                  reason=message.hidden_reason, detail=message.body[:200])
    db.session.commit()
    _changed(session, message)


def _member_in(member_id) -> User:
    member_id = as_id(member_id)
    member = db.session.get(User, member_id) if member_id is not None else None
    if member is None:
        raise CafeError("We could not find that member.")
    return member


def restrict(host, session: CafeSession, member_id, kind: str) -> User:
    """Mute (read only) or remove (out, sockets closed) a member for this session; unmute with kind=None."""
    _require_host(host, session)
    member = _member_in(member_id)
    if is_host(member):
        raise CafeError("Hosts cannot mute or remove another host.")
    row = db.session.get(CafeRoomRestriction, (session.id, member.id))
    if kind is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(CafeRoomRestriction(session_id=session.id, user_id=member.id, kind=kind, by_id=host.id))
    else:
        row.kind, row.by_id = kind, host.id
    record_action(host, f"cafe.{kind or 'unmute'}", "member", member.id, subject_id=member.id,
                  detail=f"café session {session.id}")
    db.session.commit()
    realtime.emit("restricted", {"muted": kind == "muted"}, realtime.member_room(member.id))
    if kind == "removed":
        sids = list(db.session.scalars(select(CafePresence.sid).where(CafePresence.user_id == member.id,
                                                                      CafePresence.session_id == session.id)))
        db.session.execute(delete(CafePresence).where(CafePresence.sid.in_(sids)))
        db.session.commit()
        realtime.disconnect(sids, {"message": REMOVED})
        _tell_who_is_here(session)
    return member


# Retention ----------------------------------------------------------------------------------------------------

def purge_old_messages(retention_days: int, now: datetime | None = None) -> int:
    """Remove messages of sessions that ended more than `retention_days` ago. Returns how many went."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    old_sessions = select(CafeSession.id).where(CafeSession.ends_at < cutoff)
    old = select(CafeMessage.id).where(CafeMessage.session_id.in_(old_sessions))
    db.session.execute(update(CafeMessage).where(CafeMessage.reply_to_id.in_(old)).values(reply_to_id=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(CafeReaction).where(CafeReaction.message_id.in_(old))
                       .execution_options(synchronize_session=False))
    result = db.session.execute(delete(CafeMessage).where(CafeMessage.session_id.in_(old_sessions))
                                .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount
