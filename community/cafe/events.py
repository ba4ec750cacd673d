"""The café room's Socket.IO events (namespace /cafe). The connection is authenticated from the Flask-Login
session cookie sent with the handshake; every event checks again, on the server, that the person may still be in
the room (a log-out, a suspension or a host's removal ends it), and each member is limited in how often they may
join and ask for each kind of thing (counted where the site's rate limits are: shared through Redis when there is one).

Events answer through their acknowledgement: {"ok": true, ...} or {"ok": false, "error": "kind words"}."""

from datetime import datetime
from functools import wraps

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, disconnect, emit, join_room

from community.action_limits import ActionLimit
from community.extensions import db, person_or_address, socketio, utcnow

from . import realtime, schedule, services
from .models import CafePresence, CafeSession

NAMESPACE = realtime.NAMESPACE
# Per member: a client asks for what it missed every few seconds and sends now and then; far more is a script.
# Each kind of event has its own count (CAFE_EVENT_LIMIT), checked before any database work; every try counts.
SLOW_DOWN = "That was a lot at once. Please wait a few seconds and try again."
CONNECT_LIMIT = ActionLimit("cafe-connect", setting="CAFE_CONNECT_LIMIT")
TOO_MANY_JOINS = ("You have joined the room many times in a short while, so joining is paused for a minute. Please "
                  "wait a minute, then refresh the page.")


def _refuse(message: str) -> dict:
    return {"ok": False, "error": message}


def in_room(handler):
    """Run the event only for someone still allowed in the room this socket joined, and under their limit for this
    kind of event; otherwise close the socket (not allowed) or answer "slow down" (over the limit)."""
    limit = ActionLimit(f"cafe-{handler.__name__}", setting="CAFE_EVENT_LIMIT")

    @wraps(handler)
    def checked(data=None, *_more):  # a client sending extra arguments gets an answer, not an exception
        if not limit.take(person_or_address()):
            return _refuse(SLOW_DOWN)
        presence = db.session.get(CafePresence, request.sid)
        session = db.session.get(CafeSession, presence.session_id) if presence else None
        refusal = services.may_enter(current_user, session) if session else services.CLOSED
        if refusal:
            db.session.rollback()
            services.leave(request.sid)
            emit("ended", {"message": refusal})
            disconnect()
            return _refuse(refusal)
        try:
            return {"ok": True, **(handler(session, data if isinstance(data, dict) else {}) or {})}
        except services.CafeError as refusal:
            db.session.rollback()
            return _refuse(refusal.message)

    return checked


@socketio.on("connect", namespace=NAMESPACE)
def connect(auth=None):
    if not CONNECT_LIMIT.take(person_or_address()):
        raise ConnectionRefusedError(TOO_MANY_JOINS)
    session = schedule.open_session()
    refusal = services.may_enter(current_user, session)
    if refusal:
        raise ConnectionRefusedError(refusal)
    if services.too_many_sockets(current_user, session):
        raise ConnectionRefusedError(services.TOO_MANY_SOCKETS)
    join_room(realtime.session_room(session.id))
    join_room(realtime.member_room(current_user.id))
    if services.is_host(current_user):
        join_room(realtime.hosts_room(session.id))
    services.arrive(current_user, session, request.sid)
    emit("state", services.room_state(current_user, session))


@socketio.on("disconnect", namespace=NAMESPACE)
def on_disconnect(reason=None):
    services.leave(request.sid)


@socketio.on("catch_up", namespace=NAMESPACE)
@in_room
def catch_up(session, data):
    """Everything after the last message id the client holds, and what changed since its last catch-up."""
    after = data.get("after")
    since = data.get("since")
    try:
        after = min(max(int(after or 0), 0), services.ID_MAX)
    except (TypeError, ValueError, OverflowError):
        after = 0
    try:
        since = datetime.fromisoformat(since) if isinstance(since, str) and since else None
        if since is not None and since.tzinfo is None:
            since = None
    except ValueError:
        since = None
    services.still_here(request.sid)
    now = utcnow()
    return {"messages": services.messages_since(current_user, session, after, since), "now": now.isoformat(),
            "people": services.people_here(session), "topic": session.topic, "slow_mode": session.slow_mode_seconds,
            "live": realtime.live()}


@socketio.on("send", namespace=NAMESPACE)
@in_room
def send(session, data):
    sent = services.send(current_user, session, data.get("body"), reply_to=data.get("reply_to"),
                         token=data.get("token"))
    return {"message": sent.message, "crisis": sent.crisis}


@socketio.on("take_a_break", namespace=NAMESPACE)
@in_room
def take_a_break(session, data):
    sent = services.take_a_break(current_user, session, token=data.get("token"))
    return {"message": sent.message}


@socketio.on("react", namespace=NAMESPACE)
@in_room
def react(session, data):
    return {"message": services.react(current_user, session, data.get("message_id"), data.get("kind"))}


@socketio.on("set_topic", namespace=NAMESPACE)
@in_room
def set_topic(session, data):
    services.set_topic(current_user, session, data.get("topic"))


@socketio.on("set_slow_mode", namespace=NAMESPACE)
@in_room
def set_slow_mode(session, data):
    services.set_slow_mode(current_user, session, data.get("seconds"))


@socketio.on("delete_message", namespace=NAMESPACE)
@in_room
def delete_message(session, data):
    services.delete_message(current_user, session, data.get("message_id"), data.get("reason", ""))


@socketio.on("mute", namespace=NAMESPACE)
@in_room
def mute(session, data):
    services.restrict(current_user, session, data.get("member_id"), "muted")


@socketio.on("unmute", namespace=NAMESPACE)
@in_room
def unmute(session, data):
    services.restrict(current_user, session, data.get("member_id"), None)


@socketio.on("remove", namespace=NAMESPACE)
@in_room
def remove(session, data):
    services.restrict(current_user, session, data.get("member_id"), "removed")
