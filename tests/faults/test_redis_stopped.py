"""Redis stopped under two real server processes (gunicorn -k gevent, tests/cafe/processes.py, with a Redis of
the test's own): every page still serves, promptly; the café keeps working (a message is saved and confirmed at
once, and reaches a member on the other process through the client's catch-up, as static/js/cafe.js asks every
few seconds); once Redis is back, live delivery across the processes resumes by itself. Meanwhile the room is
honest with its members: its catch-up answers say `live: false` (the page then says that messages from others may
take a few seconds) until Redis answers again.

Redis carries only the café's live pushes between processes and the shared rate-limit counts (each process
counts in memory meanwhile), so a Redis outage never makes the chat unavailable: it only makes pushes between
processes wait for the next catch-up. Runs once, on SQLite (the database is not what this is about)."""

import time

from community.cafe.realtime import QUEUE_CHECK_EVERY
from community.extensions import db
from tests.cafe.processes import run_servers
from tests.cafe.test_two_processes import RoomClient
from tests.forums.forum_data import agreed_member, make_category, make_thread

PAGE_WITHIN = 2.0       # seconds: a page while Redis is away (its clients give up after 0.5-2 s)
SEND_WITHIN = 3.0       # seconds: a café message confirmed while Redis is away
RESUME_WITHIN = 30.0    # seconds after Redis is back: python-socketio's listener retries with back-off (1, 2, 4 s ...)
SEND_EVERY = 2.5        # the café takes 5 messages in 10 seconds from one member
LIVE_SAYS_WITHIN = QUEUE_CHECK_EVERY + 3.0   # seconds: each process asks Redis at most every QUEUE_CHECK_EVERY
TEST_DEADLINE = 90.0


def catch_up(client: RoomClient) -> dict:
    """One catch-up, as the page asks every few seconds (what it brings is kept, as the client's own would)."""
    answer = client.sio.call("catch_up", {"after": client.last_id(), "since": client.since}, namespace="/cafe",
                             timeout=5)
    assert answer["ok"], answer
    client._add(answer["messages"], "catch_up")
    return answer


def wait_until_live_is(client: RoomClient, wanted: bool) -> None:
    """Catch up every half second until the answer's `live` is `wanted` (within LIVE_SAYS_WITHIN seconds)."""
    deadline = time.monotonic() + LIVE_SAYS_WITHIN
    while catch_up(client)["live"] is not wanted:
        assert time.monotonic() < deadline, f"{client.name}'s room never said live {wanted}"
        time.sleep(0.5)


def test_with_redis_stopped_pages_serve_the_cafe_keeps_working_and_live_delivery_resumes(tmp_path):
    test_started = time.monotonic()
    with run_servers(count=2, tmp_path=tmp_path) as servers:
        server_a, server_b = servers.urls
        servers.open_room()
        with servers.app.app_context():
            from community.moderation import services as moderation  # (imported once the app is built)

            moderation.set_setting(None, "held_first_posts", 0)
            db.session.commit()
            thread_id = make_thread(agreed_member(display_name="Sam"), make_category()).thread_id
            db.session.remove()
        (_, ann), (_, bea) = servers.make_member("Ann"), servers.make_member("Bea")
        ann_web, bea_web = servers.login(server_a, ann), servers.login(server_b, bea)
        clients = []
        try:
            ann_client = RoomClient(server_a, servers.cookie_header(ann_web), "Ann")
            bea_client = RoomClient(server_b, servers.cookie_header(bea_web), "Bea")
            clients = [ann_client, bea_client]

            # Redis up: a message through A is pushed live to Bea on B.
            first = ann_client.send("Evening all, Redis is up")
            assert first["ok"], first
            bea_client.wait_for([first["message"]["id"]])
            assert bea_client.arrived_by[first["message"]["id"]] == "push"
            assert catch_up(bea_client)["live"] is True

            servers.redis.stop()
            # Every page still serves, on both processes, promptly.
            for url, web in ((server_a, ann_web), (server_b, bea_web)):
                for path in ("/", "/forums", f"/forums/t/{thread_id}", "/cafe", "/cafe/room", "/healthz"):
                    started = time.monotonic()
                    response = web.get(url + path, timeout=10)
                    elapsed = time.monotonic() - started
                    assert response.status_code == 200, (url, path, response.status_code, response.text[:300])
                    assert elapsed < PAGE_WITHIN, f"{url}{path} took {elapsed:.2f} s with Redis away"

            # The chat still works: saved and confirmed at once; Bea, on the other process, gets it by catching up.
            bea_client.catching_up.set()
            started = time.monotonic()
            during = ann_client.send("Still here while Redis is away")
            assert during["ok"], during
            assert time.monotonic() - started < SEND_WITHIN
            bea_client.wait_for([during["message"]["id"]], timeout=10)
            assert bea_client.arrived_by[during["message"]["id"]] == "catch_up"
            assert bea_client.sio.connected and ann_client.sio.connected
            # And the room says so, on both processes, so the page can tell its members why.
            wait_until_live_is(bea_client, False)
            wait_until_live_is(ann_client, False)

            # Redis back: live pushes between the processes resume by themselves (no catching up from here on).
            servers.redis.start()
            bea_client.catching_up.clear()
            back = time.monotonic()
            pushed = None
            while pushed is None and time.monotonic() - back < RESUME_WITHIN:
                sent = ann_client.send(f"Is it live again? {time.monotonic() - back:.0f} s after Redis came back")
                assert sent["ok"], sent
                deadline = time.monotonic() + SEND_EVERY
                while time.monotonic() < deadline:
                    if bea_client.arrived_by.get(sent["message"]["id"]) == "push":
                        pushed = sent
                        break
                    time.sleep(0.05)
            assert pushed is not None, f"no live push from A to B within {RESUME_WITHIN} s of Redis coming back"
            # The room stops saying messages may be slow.
            wait_until_live_is(bea_client, True)
            wait_until_live_is(ann_client, True)
            # And a page on each process still answers, with Redis in use again.
            for url, web in ((server_a, ann_web), (server_b, bea_web)):
                assert web.get(f"{url}/cafe/room", timeout=10).status_code == 200
        except BaseException:
            print(servers.logs_text())
            raise
        finally:
            for client in clients:
                client.close()
    assert time.monotonic() - test_started < TEST_DEADLINE, "the test took longer than it should"

