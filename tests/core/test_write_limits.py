"""The site-wide write limit: every route that changes something is limited (one documented exception), per
person; someone over it gets the kind 429 page with their words, while others and every read go on; it costs no
query; and with Redis down, writes and café events still work and their limits still hold, from memory."""

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from werkzeug.routing.converters import NumberConverter

from community.extensions import WRITE_METHODS, db, limiter
from community.forums.models import Post
from tests.conftest import csrf_token_from, submit
from tests.forums.forum_data import agreed_member, make_category, make_thread
from tests.moderation.moderation_data import post_everything_at_once

ROOT = Path(__file__).resolve().parents[2]

# The one write route without any rate limit, deliberately (its docstring says why): Stripe's signed deliveries.
UNLIMITED_ON_PURPOSE = {"membership.stripe_webhook"}


def example_path(rule) -> str:
    """A path the rule matches: 1 for a number, "x" for any other part."""
    values = {name: 1 if isinstance(converter, NumberConverter) else "x"
              for name, converter in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


def test_every_write_route_is_limited_except_the_stripe_webhook(app, client):
    # A limit nobody is under: a limited route answers 429 before its view runs, so nothing changes and no route
    # needs real data or a form token. A new route escapes only by @limiter.exempt, and then this test fails.
    app.config.update(WRITE_LIMIT="0 per hour", WTF_CSRF_ENABLED=False)
    unlimited = {}  # endpoint: what it did instead
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & set(WRITE_METHODS)):
            answer = client.open(example_path(rule), method=method).status_code
            if answer != 429:
                unlimited[rule.endpoint] = f"{method} {rule.rule} answered {answer}"
    assert set(unlimited) == UNLIMITED_ON_PURPOSE, (
        f"These write routes are not rate-limited: {unlimited}. Remove their @limiter.exempt, or, if one truly must "
        "be, say why in its docstring and add it to UNLIMITED_ON_PURPOSE.")
    # Reading is never counted, however low the write limit.
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 200


def test_over_the_limit_a_person_gets_the_kind_page_with_their_words_and_others_go_on(app, client, login):
    post_everything_at_once()   # newcomers' posts are not held for review here
    category = make_category()
    thread_id = make_thread(agreed_member(), category).thread_id
    ann, bea = agreed_member(display_name="Ann"), agreed_member(display_name="Bea")
    bea_client = app.test_client()
    login(ann)
    login(bea, the_client=bea_client)
    app.config["WRITE_LIMIT"] = "2 per hour"
    reply = f"/forums/t/{thread_id}/reply"
    from_here = {"Origin": "http://localhost"}

    assert submit(client, reply, {"body": "First reply, thinking of you."}).status_code == 302
    assert submit(client, "/notifications/read", {}, page="/notifications").status_code == 302
    refused = submit(client, reply, {"body": "Lying flat today, words for later."}, headers=from_here)
    assert refused.status_code == 429
    assert "Please wait a little while" in refused.text and "Rest for a few minutes, then try again" in refused.text
    assert "Lying flat today, words for later." in refused.text, "the words typed come back to be copied"
    assert "reset it" not in refused.text, "a signed-in person is not sent to reset a password"
    assert refused.headers["Retry-After"]
    # The same person on another device is the same person.
    other_phone = app.test_client()
    login(ann, the_client=other_phone)
    assert submit(other_phone, reply, {"body": "From my phone."}).status_code == 429
    # Someone else, on the same network, is not held back; and Ann can still read.
    assert submit(bea_client, reply, {"body": "Bea here."}).status_code == 302
    assert client.get(f"/forums/t/{thread_id}").status_code == 200
    bodies = db.session.scalars(select(Post.body).where(Post.thread_id == thread_id)).all()
    assert "Lying flat today, words for later." not in bodies and "From my phone." not in bodies
    assert "Bea here." in bodies


def test_logged_out_writes_are_counted_per_address(app):
    app.config.update(WRITE_LIMIT="1 per hour", WTF_CSRF_ENABLED=False)
    first, neighbour = app.test_client(), app.test_client()
    first.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    neighbour.environ_base["REMOTE_ADDR"] = "192.0.2.11"
    assert first.post("/login", data={"email": "a@example.org", "password": "guess"}).status_code == 200
    refused = first.post("/login", data={"email": "a@example.org", "password": "guess"})
    assert refused.status_code == 429 and "reset it" in refused.text
    assert neighbour.post("/login", data={"email": "a@example.org", "password": "guess"}).status_code == 200


def test_the_write_limit_costs_no_query(app, client, as_role, count_queries, monkeypatch):
    as_role("member")
    token = csrf_token_from(client.get("/notifications").text)

    def queries_for_a_write() -> int:
        with count_queries() as queries:
            assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 302
        return len(queries)

    limited = queries_for_a_write()
    monkeypatch.setattr(limiter, "enabled", False)
    assert queries_for_a_write() == limited


# Redis down ---------------------------------------------------------------------------------------------------

# Its own Python process, because the limiter is one global object whose state outlives an app: settings exactly
# as load_config gives them for a Redis that is down, then a count before any request has noticed it is down (the
# café's limits), writes, and café events.
REDIS_DOWN = """
import json, logging, pathlib, sys, time
from community.action_limits import ActionLimit
from community.config import load_config
from community.extensions import db, socketio
from tests import factories
from tests.cafe.processes import open_session_covering_now
from tests.conftest import make_test_app

tmp = pathlib.Path(sys.argv[1])
settings = load_config(str(tmp), {"REDIS_URL": "redis://127.0.0.1:1/0"})
passed = {key: value for key, value in settings.items() if key.startswith("RATELIMIT_") or key == "REDIS_URL"}
app = make_test_app(f"sqlite:///{tmp}/app.db", tmp, **passed, SOCKETIO_WITHOUT_QUEUE=True, WTF_CSRF_ENABLED=False,
                    WRITE_LIMIT="3 per hour", CAFE_EVENT_LIMIT="2 per hour")
warnings = []
handler = logging.Handler(logging.WARNING)
handler.emit = lambda record: warnings.append(record.getMessage())
logging.getLogger().addHandler(handler)
outcome = {}
with app.app_context():
    db.create_all()
    member = factories.make_member("kai@example.org")
    open_session_covering_now()
    started = time.monotonic()
    with app.test_request_context():
        probe = ActionLimit("probe", "2 per hour")
        outcome["counted"] = [probe.take("kai") for _ in range(3)]
    web = app.test_client()
    outcome["login"] = web.post("/login", data={"email": "kai@example.org", "password": factories.PASSWORD}).status_code
    outcome["writes"] = [web.post("/notifications/read").status_code for _ in range(4)]
    room = socketio.test_client(app, namespace="/cafe", flask_test_client=web)
    outcome["joined"] = room.is_connected("/cafe")
    outcome["catch_up"] = [room.emit("catch_up", {"after": 0}, namespace="/cafe", callback=True)["ok"]
                           for _ in range(3)]
    outcome["seconds"] = time.monotonic() - started
outcome["warnings"] = warnings
print(json.dumps(outcome))
"""


def test_with_redis_down_writes_and_cafe_events_work_and_their_limits_hold_in_memory(tmp_path):
    result = subprocess.run([sys.executable, "-c", REDIS_DOWN, str(tmp_path)], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["counted"] == [True, True, False]
    assert outcome["login"] == 302
    assert outcome["writes"] == [302, 302, 302, 429]
    assert outcome["joined"] and outcome["catch_up"] == [True, True, False]
    assert outcome["seconds"] < 10, "nobody waits on the dead connection"
    assert any("counting in this process's memory" in warning for warning in outcome["warnings"])
    assert any("falling back to in-memory" in warning for warning in outcome["warnings"])
