"""Two real server processes (gunicorn -k gevent -w 1) sharing the database and a private Redis: a message sent
through one reaches a member connected to the other; with Redis stopped, pages still serve and sending still saves
and confirms; once Redis is back, every saved message reaches every open client (by the live push, or by the
client's periodic catch-up, as static/js/cafe.js does)."""

import threading
import time
import uuid

import pytest
import requests
import socketio
from sqlalchemy import select

from community.cafe.models import CafeMessage
from community.extensions import db
from tests.cafe.processes import run_servers
from tests.conftest import TEST_DATABASE_URL

NAMESPACE = "/cafe"
WAIT = 20.0          # the longest any step may take, in seconds
CATCH_UP_EVERY = 1.0


class RoomClient:
    """A member's café client, as cafe.js behaves: it keeps messages by id, adds those pushed live, and (once
    `catching_up` is set) asks every second for everything after its last id and everything changed since its
    previous ask, so a broadcast lost on the way still arrives. Long-polling (as where websockets are blocked)."""

    def __init__(self, url: str, cookie: str, name: str):
        self.name, self.url = name, url
        self.messages: dict[int, dict] = {}
        self.arrived_by: dict[int, str] = {}
        self.since: str | None = None
        self.catching_up = threading.Event()
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection_delay=0.5, reconnection_delay_max=2)
        self.sio.on("state", self._state, namespace=NAMESPACE)
        self.sio.on("message", lambda message: self._add([message], "push"), namespace=NAMESPACE)
        # A fresh headers dict for each connect (python-socketio's clients may consume the one they are given).
        self.sio.connect(url, namespaces=[NAMESPACE], headers={"Cookie": cookie}, transports=["polling"],
                         wait_timeout=10)
        self.thread = threading.Thread(target=self._catch_up_loop, name=f"catch-up-{name}", daemon=True)
        self.thread.start()

    def _state(self, state: dict) -> None:
        self.since = state["now"]
        self._add(state["messages"], "state")

    def _add(self, messages: list[dict], how: str) -> None:
        with self.lock:
            for message in messages:
                self.messages[message["id"]] = message
                self.arrived_by.setdefault(message["id"], how)

    def last_id(self) -> int:
        with self.lock:
            return max(self.messages, default=0)

    def _catch_up_loop(self) -> None:
        while not self.stopped.wait(CATCH_UP_EVERY):
            if not self.catching_up.is_set() or not self.sio.connected:
                continue
            try:
                answer = self.sio.call("catch_up", {"after": self.last_id(), "since": self.since},
                                       namespace=NAMESPACE, timeout=5)
            except Exception:  # noqa: BLE001 - a slow or dropped connection: ask again next time
                continue
            if answer and answer.get("ok"):
                self._add(answer["messages"], "catch_up")
                self.since = answer["now"]

    def send(self, body: str) -> dict:
        return self.sio.call("send", {"body": body, "token": uuid.uuid4().hex[:20]}, namespace=NAMESPACE,
                             timeout=WAIT)

    def wait_for(self, ids, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if set(ids) <= set(self.messages):
                    return
            time.sleep(0.05)
        with self.lock:
            missing = sorted(set(ids) - set(self.messages))
        raise AssertionError(f"{self.name} (on {self.url}) never got messages {missing} within {timeout} s")

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        if self.sio.connected:
            self.sio.disconnect()


@pytest.fixture
def shared_database_url(request):
    """The test session's PostgreSQL database when TEST_DATABASE_URL is set; otherwise None (an SQLite file)."""
    if TEST_DATABASE_URL:
        return request.getfixturevalue("postgres_server_url")
    return None


def saved_bodies(servers) -> list[str]:
    with servers.app.app_context():
        bodies = list(db.session.scalars(select(CafeMessage.body).order_by(CafeMessage.id)))
        db.session.remove()
        return bodies


def test_two_processes_share_the_room_and_lose_nothing_when_redis_goes_away(shared_database_url, tmp_path):
    with run_servers(count=2, database_url=shared_database_url, tmp_path=tmp_path) as servers:
        server_a, server_b = servers.urls
        servers.open_room()
        (_, ann), (_, bea), (_, cy) = (servers.make_member("Ann"), servers.make_member("Bea"),
                                       servers.make_member("Cy"))
        clients = []
        try:
            # Each logs in over HTTP on the server their socket goes to (a proxy's sticky session).
            ann_client = RoomClient(server_a, servers.cookie_header(servers.login(server_a, ann)), "Ann")
            bea_client = RoomClient(server_b, servers.cookie_header(servers.login(server_b, bea)), "Bea")
            cy_client = RoomClient(server_a, servers.cookie_header(servers.login(server_a, cy)), "Cy")
            clients = [ann_client, bea_client, cy_client]

            # 1. Redis up: sent through A, pushed live to B's member (no catching up yet) and back.
            sent = ann_client.send("Hello from process A")
            assert sent["ok"], sent
            bea_client.wait_for([sent["message"]["id"]])
            assert bea_client.arrived_by[sent["message"]["id"]] == "push"
            reply = bea_client.send("Hello back from process B")
            assert reply["ok"], reply
            ann_client.wait_for([reply["message"]["id"]])
            assert ann_client.arrived_by[reply["message"]["id"]] == "push"
            for client in clients:
                client.catching_up.set()

            # 2. Redis stops: pages still serve, sending still saves and confirms (promptly).
            servers.redis.stop()
            for url in servers.urls:
                for path in ("/healthz", "/cafe"):
                    assert requests.get(f"{url}{path}", timeout=10).status_code == 200, (url, path)
            during = []
            for client, body in ((ann_client, "Sent through A while Redis is down"),
                                 (bea_client, "Sent through B while Redis is down")):
                started = time.monotonic()
                answer = client.send(body)
                assert answer["ok"], answer
                assert time.monotonic() - started < 10, "a send waited too long on the missing Redis"
                during.append(answer["message"]["id"])
            assert saved_bodies(servers)[-2:] == ["Sent through A while Redis is down",
                                                  "Sent through B while Redis is down"]

            # 3. Redis is back on the same port: every saved message reaches every open client.
            servers.redis.start()
            after = ann_client.send("Sent through A after Redis came back")
            assert after["ok"], after
            with servers.app.app_context():
                every_id = list(db.session.scalars(select(CafeMessage.id).order_by(CafeMessage.id)))
                db.session.remove()
            assert {sent["message"]["id"], reply["message"]["id"], *during, after["message"]["id"]} == set(every_id)
            for client in clients:
                client.wait_for(every_id)
                assert client.sio.connected, f"{client.name}'s socket was closed"
            # What the other process's members missed while Redis was away came by catching up.
            assert bea_client.arrived_by[during[0]] == "catch_up"
            assert ann_client.arrived_by[during[1]] == "catch_up"
        except BaseException:
            print(servers.logs_text())
            raise
        finally:
            for client in clients:
                client.close()
