"""Whether the room says messages are passed on live: always with one process (no REDIS_URL); with Redis as the
message queue, only while it answers, asked at most once every few seconds per process (so a busy room never
pings Redis per event) and never waiting on a Redis that hangs for more than a moment. The page turns `live`
false into "Messages from others may take a few seconds to arrive just now." (static/js/cafe.js); the whole
outage, across two real processes, is in tests/faults/test_redis_stopped.py."""

import socket
import threading
import time
from contextlib import contextmanager

from community.cafe import realtime, services
from community.cafe.models import CafeSession
from community.extensions import db
from tests.cafe.processes import free_port, open_session_covering_now
from tests.conftest import fresh_schema, make_test_app
from tests.factories import make_member

EVENTS = 20


def test_with_one_process_the_state_and_every_catch_up_say_live(open_room, connect):
    ann = connect(make_member(display_name="Ann"))
    assert ann.received("state")[0]["live"] is True
    answer = ann.ask("catch_up", {"after": 0})
    assert answer["ok"] and answer["live"] is True


@contextmanager
def room_with_queue_at(redis_url: str, tmp_path):
    """An app whose message queue is the Redis at `redis_url`, a member and a room open now (no socket is opened,
    so Socket.IO never starts listening to that Redis)."""
    app = make_test_app(f"sqlite:///{tmp_path / 'live.db'}", tmp_path, REDIS_URL=redis_url)
    with fresh_schema(app):
        member = make_member(display_name="Ann")
        yield member, db.session.get(CafeSession, open_session_covering_now())


def test_with_the_queues_redis_unreachable_the_state_says_not_live(tmp_path):
    with room_with_queue_at(f"redis://127.0.0.1:{free_port()}/0", tmp_path) as (member, session):
        started = time.monotonic()
        assert services.room_state(member, session)["live"] is False
        assert time.monotonic() - started < 1.0


class SilentServer:
    """A port that accepts connections and never answers (a Redis that hangs), counting the connections made."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.url = f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"
        self.accepted: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                self.accepted.append(self.listener.accept()[0])
            except OSError:
                continue

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=2)
        for connection in self.accepted:
            connection.close()
        self.listener.close()


def test_a_hanging_redis_is_asked_once_for_many_events_and_never_waited_on_long(tmp_path):
    silent = SilentServer()
    try:
        with room_with_queue_at(silent.url, tmp_path) as (member, session):
            started = time.monotonic()
            answers = [services.room_state(member, session)["live"] for _ in range(EVENTS)]
            elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert answers == [False] * EVENTS
    # One PING (one connection) for them all, given up after its short timeout; a PING per event would take
    # EVENTS times as long.
    assert len(silent.accepted) == 1
    assert elapsed < realtime.QUEUE_CHECK_TIMEOUT * 4
