"""The production layout (`make serve-prod`: the Procfile's two gunicorn gevent processes, each reading
gunicorn.conf.py, on a fresh PostgreSQL database and Redis) with a member's journey in Chromium against each process
in turn: log in, read a thread, reply, chat in the café. What one process wrote, the other shows: the reply on a page
loaded from the other process, and each café message live (pushed through Redis) to a browser on the other. And a
worker restart (as max_requests makes one) in the middle of the café: seconds without the room, nothing lost."""

import json
import os
import signal
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from community import serve_prod
from community.extensions import db
from community.forums import services as forums
from community.moderation import services as moderation
from community.pages import services as pages
from tests import factories
from tests.browser.test_cafe import say
from tests.browser.test_journey import PASSWORD, _fill_login
from tests.cafe.processes import PrivateRedis, free_port
from tests.conftest import TEST_DATABASE_URL, make_test_app, service_missing

pytestmark = pytest.mark.browser

SECRET_KEY = "two-processes-layout-secret-key-0123456789abcdef"
WAIT = 20_000  # ms
# What the servers must not inherit from the test run: its own settings, and anything pointing at other services.
NOT_INHERITED = ("FLASK_", "RATELIMIT", "STRIPE_", "MAIL_", "TEST_", "GUNICORN", "SITE_URL", "PORT", "DEMO_MODE",
                 "SOCKETIO_", "DB_POOL")


@pytest.fixture
def layout(tmp_path, browser_type_launch_args):
    """The two processes of the Procfile on free ports, a PostgreSQL database of their own (created, upgraded and
    seeded as `make serve-prod` does) and a private Redis; all stopped and dropped afterwards, even on failure.
    (Asking for the browser's launch arguments first skips this where Chromium is missing.)"""
    if not TEST_DATABASE_URL:
        service_missing("TEST_DATABASE_URL is not set: the production layout runs on PostgreSQL")
    database_url = make_url(TEST_DATABASE_URL).set(database=f"community_layout_{uuid.uuid4().hex[:12]}") \
        .render_as_string(hide_password=False)
    redis = PrivateRedis(tmp_path)
    redis.start()
    started, app = [], None
    try:
        env = {**{key: value for key, value in os.environ.items() if not key.startswith(NOT_INHERITED)},
               **serve_prod.DEFAULTS, "DATABASE_URL": database_url, "REDIS_URL": redis.url, "SECRET_KEY": SECRET_KEY,
               "PYTHONUNBUFFERED": "1"}
        serve_prod.prepare_database(env)
        app = make_test_app(database_url, tmp_path, SECRET_KEY=SECRET_KEY)
        people = _members_and_a_thread(app)
        started = serve_prod.start_servers(env, ports=[free_port(), free_port()], log_dir=tmp_path)
        yield app, started, people
    finally:
        serve_prod.stop_servers(started)
        # The servers' logs: pytest shows what a test printed only when it failed.
        for log in sorted(tmp_path.glob("web*.log")):
            print(f"--- {log.name} ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-60:]))
        redis.stop()
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        admin_engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)'))
        admin_engine.dispose()


def _members_and_a_thread(app) -> dict:
    """Two members who have accepted the guidelines, and a thread one of them started; no posts held for review."""
    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        admin = factories.make_user(role="admin", two_factor_on=False)
        moderation.set_setting(admin, "held_first_posts", 0)
        category = forums.create_category(admin, f"Between processes {tag}", "Where both processes meet.")
        ann = factories.make_member(display_name=f"Ann {tag}")
        bea = factories.make_member(display_name=f"Bea {tag}")
        for member in (ann, bea):
            pages.accept_guidelines(member)
        first = forums.create_thread(bea, category, "Lying flat on the sofa", "What helps you pass the time?")
        people = {"ann": ann.email, "bea": bea.email, "thread_id": first.thread_id}
        db.session.remove()
    return people


def log_in(context, url: str, email: str):
    page = context.new_page()
    page.goto(url + "/login")
    _fill_login(page, email, PASSWORD)
    expect(page.get_by_text("You are logged in")).to_be_visible()
    return page


def read_thread(page, url: str, thread_id: int, *texts: str) -> None:
    page.goto(f"{url}/forums/t/{thread_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lying flat on the sofa")
    for words in texts:
        expect(page.get_by_text(words)).to_be_visible()


def enter_room_watching_pushes(page, url: str) -> None:
    """Open the café room, recording every frame the server sends over the page's websocket, and wait until the
    connection has moved from long-polling to the websocket, so everything pushed from now on is recorded."""
    page.pushed = []
    page.on("websocket", lambda socket: socket.on(
        "framereceived", lambda payload: page.pushed.append(payload if isinstance(payload, str)
                                                            else payload.decode("utf-8", "replace"))))
    page.goto(url + "/cafe/room")
    expect(page.locator("#cafe-connection")).to_have_text("Connected", timeout=WAIT)
    for _ in range(WAIT // 100):
        if "3probe" in page.pushed:  # the server's answer to the websocket probe: the upgrade is under way
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail(f"{url}: the café never moved to a websocket (frames: {page.pushed[:10]})")
    page.wait_for_timeout(300)  # the client's upgrade packet follows the probe's answer


def pushed_live(page, words: str) -> bool:
    """Whether `words` came in a `message` event the server pushed (Socket.IO packet 42 on the /cafe namespace),
    not in the answer to the page's periodic catch-up (an acknowledgement, packet 43)."""
    prefix = '42/cafe,'
    for frame in page.pushed:
        if frame.startswith(prefix):
            event, *data = json.loads(frame[len(prefix):])
            if event == "message" and data and data[0].get("body") == words:
                return True
    return False


def test_what_one_process_writes_the_other_shows_in_a_browser(browser, layout):
    _app, started, people = layout
    urls = [url for url, _process in started]
    replies = []
    for turn, (here, there) in enumerate([(urls[0], urls[1]), (urls[1], urls[0])], start=1):
        ann_context = browser.new_context(viewport={"width": 1280, "height": 900})
        bea_context = browser.new_context(viewport={"width": 375, "height": 800})
        try:
            # Ann, on this process: logs in, reads the thread (with the replies so far), replies.
            ann = log_in(ann_context, here, people["ann"])
            read_thread(ann, here, people["thread_id"], "What helps you pass the time?", *replies)
            reply = f"Audiobooks, reply {turn}, written through {here}"
            ann.get_by_label("Your reply").fill(reply)
            ann.get_by_role("button", name="Post reply").click()
            expect(ann.get_by_text(reply)).to_be_visible()
            replies.append(reply)

            # Bea, on the other process: the page she loads shows Ann's reply.
            bea = log_in(bea_context, there, people["bea"])
            read_thread(bea, there, people["thread_id"], *replies)

            # The café: each one's message reaches the other's browser live, from one process to the other.
            enter_room_watching_pushes(ann, here)
            enter_room_watching_pushes(bea, there)
            for speaker, speaker_url, listener, listener_url in ((ann, here, bea, there), (bea, there, ann, here)):
                words = f"Hello from {speaker_url}, turn {turn}"
                say(speaker, words)
                expect(listener.locator("#cafe-messages")).to_contain_text(words, timeout=WAIT)
                assert pushed_live(listener, words), (
                    f"{words!r} reached the browser on {listener_url} only by catching up, not pushed through Redis")
        finally:
            ann_context.close()
            bea_context.close()


def workers_of(master) -> list[int]:
    """The pids of a gunicorn master's workers (one, or none between a worker's exit and its replacement)."""
    return [int(pid) for pid in Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()]


def test_a_worker_restart_costs_the_cafe_seconds_and_loses_nothing(browser, layout):
    """What max_requests does to a worker, done at a moment we choose (SIGTERM to the worker): its café sockets are
    closed at once, so a new worker answers within seconds (not after all of graceful_timeout), and the page on that
    process reconnects by itself and shows what was said meanwhile."""
    _app, started, people = layout
    (here, here_master), (there, _) = started
    ann_context = browser.new_context(viewport={"width": 1280, "height": 900})
    bea_context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        ann = log_in(ann_context, here, people["ann"])
        bea = log_in(bea_context, there, people["bea"])
        enter_room_watching_pushes(ann, here)
        enter_room_watching_pushes(bea, there)

        [old_worker] = workers_of(here_master)
        restarted_at = time.monotonic()
        os.kill(old_worker, signal.SIGTERM)
        while workers_of(here_master) in ([old_worker], []):
            assert time.monotonic() - restarted_at < 30, "no new worker within 30 s"
            ann.wait_for_timeout(100)
        say(bea, "Said while Ann's process restarted")
        serve_prod.wait_until_answering(here, here_master)
        back_after = time.monotonic() - restarted_at
        # Without closing the sockets, the old worker waits all of graceful_timeout (20 s) before a new one starts.
        assert back_after < 8, f"{here} answered again only {back_after:.1f} s after its worker was told to stop"

        expect(ann.locator("#cafe-connection")).to_have_text("Connected", timeout=WAIT)
        expect(ann.locator("#cafe-messages")).to_contain_text("Said while Ann's process restarted", timeout=WAIT)
        say(ann, "Back again after the restart")
        expect(bea.locator("#cafe-messages")).to_contain_text("Back again after the restart", timeout=WAIT)
        assert pushed_live(bea, "Back again after the restart")
    finally:
        ann_context.close()
        bea_context.close()
