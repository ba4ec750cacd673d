"""The café's live connection: Flask-SocketIO bound with an explicit async mode, Redis as the message queue when
REDIS_URL is set (so several server processes serve one room), and the few ways the rest of the café talks to open
sockets. Sending through Socket.IO never fails a request: what matters is already saved, and clients fetch what
they missed every few seconds (see static/js/cafe.js)."""

import logging
import os
import threading
import time

import redis
import socketio as socketio_library
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

from community.extensions import socketio

log = logging.getLogger(__name__)

NAMESPACE = "/cafe"
# A message is at most a thousand characters; nothing a client sends needs more than this.
MAX_EVENT_BYTES = 16 * 1024
# How often (per process) we ask the queue's Redis whether it answers, and how long we wait for it: a busy room
# costs one quick PING every few seconds, and a hanging Redis delays one event by at most this timeout.
QUEUE_CHECK_EVERY = 5.0
QUEUE_CHECK_TIMEOUT = 0.3


class QueueCheck:
    """Whether the Socket.IO message queue's Redis answers, asked at most once every QUEUE_CHECK_EVERY seconds
    (the answer in between is the last one). While it does not, pushes between processes are lost and members on
    another process see messages only when their page next catches up."""

    def __init__(self, url: str):
        # No retries: one quick PING is the question; the next check asks again anyway.
        self.client = redis.Redis.from_url(url, socket_timeout=QUEUE_CHECK_TIMEOUT,
                                           socket_connect_timeout=QUEUE_CHECK_TIMEOUT, retry=Retry(NoBackoff(), 0))
        self.lock = threading.Lock()
        self.checked_at: float | None = None
        self.answers = True

    def live(self) -> bool:
        if self.checked_at is not None and time.monotonic() - self.checked_at < QUEUE_CHECK_EVERY:
            return self.answers
        if not self.lock.acquire(blocking=False):
            return self.answers  # another event is asking right now: never queue up behind it
        try:
            try:
                self.answers = bool(self.client.ping())
            except (redis.RedisError, OSError):
                self.answers = False
            self.checked_at = time.monotonic()
        finally:
            self.lock.release()
        return self.answers


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
    # client_manager is always given: Flask-SocketIO keeps options between init_app calls, so an app built after
    # one with a Redis queue would otherwise inherit that queue.
    options = {"async_mode": app.config.get("SOCKETIO_ASYNC_MODE") or async_mode(),
               "max_http_buffer_size": MAX_EVENT_BYTES, "logger": False, "engineio_logger": False,
               "client_manager": None}
    if app.config.get("REDIS_URL") and not app.config.get("SOCKETIO_WITHOUT_QUEUE"):
        # A short timeout: with the default 5 s, a Redis that hangs blocks every send for ten seconds.
        options["client_manager"] = socketio_library.RedisManager(
            app.config["REDIS_URL"], channel=app.config.get("SOCKETIO_CHANNEL", "cafe"),
            redis_options={"socket_timeout": 2, "socket_connect_timeout": 2, "health_check_interval": 10})
        app.extensions["cafe_queue_check"] = QueueCheck(app.config["REDIS_URL"])
    socketio.init_app(app, **options)


def live() -> bool:
    """Whether messages reach members on every process as they are sent. Always, with no queue (one process);
    with Redis as the queue, while it answers (cached: see QueueCheck)."""
    check = current_app.extensions.get("cafe_queue_check")
    return check is None or check.live()


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
