"""PostgreSQL restarted while members post and read: during the outage every answer is a success or the calm 503
page, each within 3 s; once the database is back every request succeeds; no reply the site accepted is lost or
doubled, and a reply refused with "nothing has been saved" really was not saved.

A real server (gunicorn -k gevent -w 1, as in production: tests/cafe/processes.py) on a PostgreSQL of the test's
own (tests/faults/private_postgres.py), so stopping it disturbs nobody else. Runs once, on neither of the shared
test databases."""

import html
import threading
import time
import uuid
from dataclasses import dataclass

import requests
from sqlalchemy import func, select

from community.extensions import db
from community.forums.models import Post
from community.moderation import services as moderation
from tests.cafe.processes import run_servers
from tests.conftest import csrf_token_from
from tests.faults.private_postgres import private_postgres
from tests.forums.forum_data import agreed_member, make_category, make_thread

WORKERS = 4
POSTS_EACH = 8              # the forum takes 10 posts a minute from one member
POST_EVERY = 0.8            # seconds between one member's replies
ANSWER_WITHIN = 3.0         # what issue 13 asks of every answer, outage or not
OUTAGE = 2.0                # seconds between PostgreSQL stopping and starting again
REQUEST_TIMEOUT = 10.0      # well past ANSWER_WITHIN: a slow answer is measured and reported, not cut off
TEST_DEADLINE = 60.0

FRIENDLY = "We cannot reach our database just now"
NOTHING_SAVED = "Nothing you sent has been saved yet"
MAYBE_SAVED = "may have been saved"


@dataclass
class Answer:
    worker: int
    method: str
    path: str
    started: float
    elapsed: float
    status: int | None      # None: no answer at all (connection refused, timed out)
    location: str = ""
    body: str = ""          # kept for anything but a success
    retry_after: str | None = None
    reply_text: str = ""    # the unique words of a reply sent


class Member:
    """One member's browser: logged in over HTTP, posting a reply now and then and reading pages in between."""

    def __init__(self, number: int, url: str, web: requests.Session, thread_id: int, answers: list, lock):
        self.number, self.url, self.web, self.thread_id = number, url, web, thread_id
        self.answers, self.lock = answers, lock
        # A browser names the page a form came from: the 503 page shows typed words back only then.
        web.headers.update({"Origin": url, "Referer": f"{url}/forums/t/{thread_id}/reply"})
        self.csrf = csrf_token_from(web.get(f"{url}/forums/t/{thread_id}/reply", timeout=REQUEST_TIMEOUT).text)

    def _record(self, method: str, path: str, data: dict | None = None, reply_text: str = "") -> None:
        started = time.monotonic()
        try:
            response = self.web.request(method, self.url + path, data=data, allow_redirects=False,
                                        timeout=REQUEST_TIMEOUT)
        except requests.RequestException as error:
            answer = Answer(self.number, method, path, started, time.monotonic() - started, None, body=repr(error),
                            reply_text=reply_text)
        else:
            answer = Answer(self.number, method, path, started, time.monotonic() - started, response.status_code,
                            location=response.headers.get("Location", ""),
                            body="" if response.status_code in (200, 302) else response.text,
                            retry_after=response.headers.get("Retry-After"), reply_text=reply_text)
        with self.lock:
            self.answers.append(answer)

    def run(self, stop: threading.Event) -> None:
        posted, next_post = 0, 0.0
        reads = (f"/forums/t/{self.thread_id}", "/forums", "/")
        turn = 0
        while not stop.is_set():
            if posted < POSTS_EACH and time.monotonic() >= next_post:
                text = f"Reply {posted + 1} from member {self.number}, {uuid.uuid4().hex[:10]}: thinking of you."
                self._record("POST", f"/forums/t/{self.thread_id}/reply",
                             {"csrf_token": self.csrf, "body": text, "content_note": "", "quoted_post_id": "",
                              "confirm_contact": ""}, reply_text=text)
                posted += 1
                next_post = time.monotonic() + POST_EVERY
            self._record("GET", reads[turn % len(reads)])
            turn += 1


def describe(answers) -> str:
    return "\n".join(f"  member {a.worker} {a.method} {a.path} at {a.started:.2f}: {a.status} in {a.elapsed:.2f} s "
                     f"{a.body[:200]!r}" for a in answers)


def test_requests_during_a_postgresql_restart_get_a_calm_503_and_nothing_accepted_is_lost_or_doubled(tmp_path):
    test_started = time.monotonic()
    with private_postgres() as postgres, run_servers(count=1, database_url=postgres.url, tmp_path=tmp_path) \
            as servers:
        url = servers.urls[0]
        with servers.app.app_context():
            # Every reply goes up at once (no newcomer's first posts held), so each accepted one can be counted.
            moderation.set_setting(None, "held_first_posts", 0)
            db.session.commit()
            author = agreed_member(display_name="Sam")
            thread_id = make_thread(author, make_category()).thread_id
            members = [agreed_member(display_name=f"Member {number}").email for number in range(WORKERS)]
            db.session.remove()

        answers: list[Answer] = []
        lock = threading.Lock()
        stop = threading.Event()
        people = [Member(number, url, servers.login(url, email), thread_id, answers, lock)
                  for number, email in enumerate(members)]
        threads = [threading.Thread(target=person.run, args=(stop,), daemon=True) for person in people]
        health: list[tuple[float, int | None]] = []
        try:
            for thread in threads:
                thread.start()
            time.sleep(1.5)

            went_down = time.monotonic()
            postgres.stop("fast")  # ends every open connection, as a restart for maintenance does
            stopped = time.monotonic()
            while time.monotonic() < stopped + OUTAGE:
                try:
                    health.append((time.monotonic(), requests.get(f"{url}/healthz", timeout=5).status_code))
                except requests.RequestException:
                    health.append((time.monotonic(), None))
                time.sleep(0.3)
            postgres.start()  # returns once it accepts connections
            back = time.monotonic()
            time.sleep(3.0)
            health.append((time.monotonic(), requests.get(f"{url}/healthz", timeout=5).status_code))
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=REQUEST_TIMEOUT + 5)
        assert not any(thread.is_alive() for thread in threads), "a member's requests never finished"

        # Every request had an answer, in time, and each was a success or the calm 503 page: never a 500.
        unanswered = [a for a in answers if a.status is None]
        assert not unanswered, f"requests with no answer at all:\n{describe(unanswered)}"
        slow = [a for a in answers if a.elapsed >= ANSWER_WITHIN]
        assert not slow, f"answers slower than {ANSWER_WITHIN} s:\n{describe(slow)}"
        unexpected = [a for a in answers if not (a.status == 200 or a.status == 503
                                                 or (a.method == "POST" and a.status == 302))]
        assert not unexpected, f"answers other than success or 503:\n{describe(unexpected)}"
        refused = [a for a in answers if a.status == 503]
        assert refused, "no request met the outage: the test did not test anything"
        for answer in refused:
            assert FRIENDLY in answer.body and "Traceback" not in answer.body, describe([answer])
            assert answer.retry_after and int(answer.retry_after) > 0, describe([answer])
            if answer.method == "POST":
                # What they wrote is on the page, so nothing is lost even though it was not accepted.
                assert html.escape(answer.reply_text, quote=False) in answer.body, describe([answer])
                assert (NOTHING_SAVED in answer.body) != (MAYBE_SAVED in answer.body), describe([answer])
        # The 503s came while the database was away (plus the requests already under way when it went).
        assert all(went_down - 1.0 <= a.started <= back for a in refused), describe(refused)
        # Once it is back, nothing fails: no dead pooled connection is handed to a request.
        after = [a for a in answers if a.started > back]
        assert after and all(a.status in (200, 302) for a in after), describe([a for a in after if a.status >= 300
                                                                                and a.status != 302])
        assert any(status == 503 for _, status in health), f"/healthz never said the database was away: {health}"
        assert health[-1][1] == 200, health

        # No accepted reply lost or doubled; a refused reply said "nothing saved" only when nothing was.
        with servers.app.app_context():
            counts = dict(db.session.execute(select(Post.body, func.count()).where(Post.thread_id == thread_id)
                                             .group_by(Post.body)).all())
            db.session.remove()
        posts = [a for a in answers if a.method == "POST"]
        accepted = [a for a in posts if a.status == 302]
        assert any(a.started < went_down for a in accepted) and any(a.started > back for a in accepted), \
            describe(posts)
        for answer in accepted:
            assert f"/forums/t/{thread_id}" in answer.location, describe([answer])
            assert counts.get(answer.reply_text) == 1, (counts.get(answer.reply_text), describe([answer]))
        for answer in (a for a in posts if a.status == 503):
            expected = {0} if NOTHING_SAVED in answer.body else {0, 1}
            assert counts.get(answer.reply_text, 0) in expected, (counts.get(answer.reply_text), describe([answer]))
        assert set(counts) <= {a.reply_text for a in posts} | {"Hello everyone."}
    assert time.monotonic() - test_started < TEST_DEADLINE, "the test took longer than it should"
