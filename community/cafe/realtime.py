"""The café's live connection: Flask-SocketIO bound with an explicit async mode, Redis as the message queue when
REDIS_URL is set (so several server processes serve one room), and the few ways the rest of the café talks to open
sockets. Sending through Socket.IO never fails a request: what matters is already saved, and clients fetch what
they missed every few seconds (see static/js/cafe.js)."""

import logging
import os

import socketio as socketio_library
from flask import Flask

from community.extensions import socketio

log = logging.getLogger(__name__)

NAMESPACE = "/cafe"
# A message is at most a thousand characters; nothing a client sends needs more than this.
MAX_EVENT_BYTES = 16 * 1024


def async_mode() -> str:
    """"gevent" when the process runs under gevent (gunicorn -k gevent, or SOCKETIO_ASYNC_MODE=gevent, which
    app.py monkey-patches for); otherwise "threading" with simple-websocket. Never left to auto-detection, which
    silently prefers eventlet whenever it is installed."""
    wanted = os.environ.get("SOCKETIO_ASYNC_MODE", "").strip()
    if wanted in ("threading", "gevent"):
        return wanted
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def init_app(app: Flask) -> None:
    options = {"async_mode": app.config.get("SOCKETIO_ASYNC_MODE") or async_mode(),
               "max_http_buffer_size": MAX_EVENT_BYTES, "logger": False, "engineio_logger": False}
    if app.config.get("REDIS_URL") and not app.config.get("SOCKETIO_WITHOUT_QUEUE"):
        # A short timeout: with the default 5 s, a Redis that hangs blocks every send for ten seconds.
        options["client_manager"] = socketio_library.RedisManager(
            app.config["REDIS_URL"], channel=app.config.get("SOCKETIO_CHANNEL", "cafe"),
            redis_options={"socket_timeout": 2, "socket_connect_timeout": 2, "health_check_interval": 10})
    socketio.init_app(app, **options)


def session_room(session_id: int) -> str:
    return f"cafe-{session_id}"


def hosts_room(session_id: int) -> str:
    return f"cafe-{session_id}-hosts"


def member_room(user_id: int) -> str:
    return f"member-{user_id}"


def emit(event: str, data, to: str) -> None:
    """Send to everyone in a room, on every process. Logged, never raised: the message is saved already."""
    try:
        socketio.emit(event, data, to=to, namespace=NAMESPACE)
    except Exception:  # noqa: BLE001 - Redis away: clients catch up by asking for what they missed
        log.exception("Could not send %s to %s", event, to)


def disconnect(sids, reason: dict | None = None) -> None:
    """Close these sockets wherever they are (each is told why first, so its page can say so)."""
    for sid in sids:
        try:
            if reason is not None:
                socketio.emit("ended", reason, to=sid, namespace=NAMESPACE)
            socketio.server.disconnect(sid, namespace=NAMESPACE)
        except Exception:  # noqa: BLE001 - a socket already gone, or Redis away (its next event is refused anyway)
            log.exception("Could not close socket %s", sid)
