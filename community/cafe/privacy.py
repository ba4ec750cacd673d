"""What the Leaky Café holds about a member, for their data export: their messages (with the café's date), the
reactions they gave, their reminder choice, and any host's mute or removal of them (never which host); for hosts,
the summaries they wrote and, counted only, what they did to other members' messages and places in the room.
Someone else's message never goes in: a reaction says which café, not whose words."""

from flask import current_app
from sqlalchemy import func, select

from community.accounts.models import User
from community.dates import iso_or_none
from community.extensions import db
from community.moderation.services import close_open_item
from community.privacy.erasure import Erasure, delete_rows

from .models import (
    REACTIONS,
    CafeMessage,
    CafePresence,
    CafeReaction,
    CafeReminder,
    CafeRoomRestriction,
    CafeSession,
)
from .realtime import disconnect
from .services import REVIEW_KIND, purge_old_messages, sockets_of

STATE_WORDS = {"visible": "Shown", "hidden": "Hidden by a host or moderator", "deleted": "Deleted"}
RESTRICTION_WORDS = {"muted": "Muted (could read, not write)", "removed": "Removed from the room"}


def export_member_data(user: User) -> dict:
    messages = db.session.execute(
        select(CafeMessage.kind, CafeMessage.body, CafeMessage.state, CafeMessage.hidden_reason,
               CafeMessage.created_at, CafeSession.local_date)
        .join(CafeSession, CafeMessage.session_id == CafeSession.id)
        .where(CafeMessage.author_id == user.id).order_by(CafeMessage.created_at, CafeMessage.id)).all()
    reactions = db.session.execute(
        select(CafeReaction.kind, CafeReaction.created_at, CafeSession.local_date)
        .join(CafeMessage, CafeReaction.message_id == CafeMessage.id)
        .join(CafeSession, CafeMessage.session_id == CafeSession.id)
        .where(CafeReaction.user_id == user.id).order_by(CafeReaction.created_at)).all()
    reminder = db.session.execute(select(CafeReminder.created_at, CafeReminder.last_sent_for)
                                  .where(CafeReminder.user_id == user.id)).first()
    restrictions = db.session.execute(
        select(CafeRoomRestriction.kind, CafeRoomRestriction.created_at, CafeSession.local_date)
        .join(CafeSession, CafeRoomRestriction.session_id == CafeSession.id)
        .where(CafeRoomRestriction.user_id == user.id).order_by(CafeRoomRestriction.created_at)).all()
    # Open connections to the room: only there while a browser has the room open.
    presence = db.session.execute(
        select(CafePresence.joined_at, CafePresence.seen_at).where(CafePresence.user_id == user.id)
        .order_by(CafePresence.joined_at)).all()
    data = {
        "messages": [{"cafe_date": local_date.isoformat(), "kind": "A break" if kind == "break" else "Message",
                      "words": body, "state": STATE_WORDS.get(state, state), "why_hidden": hidden_reason or None,
                      "sent_at": iso_or_none(created_at)}
                     for kind, body, state, hidden_reason, created_at, local_date in messages],
        "reactions": [{"cafe_date": local_date.isoformat(), "reaction": REACTIONS.get(kind, kind),
                       "given_at": iso_or_none(created_at)} for kind, created_at, local_date in reactions],
        "morning_reminder_email": ({"asked_for_at": iso_or_none(reminder.created_at),
                                    "last_sent_for": reminder.last_sent_for.isoformat()
                                    if reminder.last_sent_for else None} if reminder else None),
        "times_a_host_muted_or_removed_you": [
            {"cafe_date": local_date.isoformat(), "what": RESTRICTION_WORDS.get(kind, kind),
             "when": iso_or_none(created_at)}
            for kind, created_at, local_date in restrictions],
    }
    if presence:
        data["in_the_room_now"] = [{"joined_at": iso_or_none(joined_at), "last_seen_at": iso_or_none(seen_at)}
                                   for joined_at, seen_at in presence]
    hosting = _hosting(user)
    if hosting:
        data["your_work_as_a_host"] = hosting
    return data


def _hosting(user: User) -> dict:
    summaries = db.session.execute(
        select(CafeSession.local_date, CafeSession.summary, CafeSession.summary_at)
        .where(CafeSession.summary_by_id == user.id).order_by(CafeSession.local_date)).all()
    hidden = db.session.scalar(select(func.count()).select_from(CafeMessage).where(
        CafeMessage.hidden_by_id == user.id, (CafeMessage.author_id != user.id) | CafeMessage.author_id.is_(None)))
    restricted = db.session.execute(
        select(CafeRoomRestriction.kind, func.count()).where(CafeRoomRestriction.by_id == user.id)
        .group_by(CafeRoomRestriction.kind).order_by(CafeRoomRestriction.kind)).all()
    work = {
        "summaries_you_wrote": [{"cafe_date": local_date.isoformat(), "summary": summary,
                                 "written_at": iso_or_none(summary_at)}
                                for local_date, summary, summary_at in summaries],
        "other_members_messages_you_removed": hidden,
        "members_you_muted_or_removed": [{"what": RESTRICTION_WORDS.get(kind, kind), "how_many": count}
                                         for kind, count in restricted],
    }
    return {key: value for key, value in work.items() if value}


ERASED = "This account has been erased, so it has left the room."


def erase_member_data(user: User, erasure: Erasure) -> None:
    """Out of the room at once; then their messages stay, signed "a former member" (the ON DELETE rules empty the
    author), or are deleted, as they chose. Reactions, reminders and places in the room go with the account."""
    disconnect(sockets_of(user.id), {"message": ERASED})
    if erasure.keep_writing:
        return
    theirs = CafeMessage.author_id == user.id
    for message_id in db.session.scalars(select(CafeMessage.id).where(theirs)):
        close_open_item(REVIEW_KIND, message_id, None, "erased")
    delete_rows(CafeMessage.__table__, CafeMessage.__table__.c.author_id == user.id)


def purge() -> str:
    days = current_app.config["CAFE_RETENTION_DAYS"]
    return f"removed {purge_old_messages(days)} message(s) from sessions that ended more than {days} days ago."
