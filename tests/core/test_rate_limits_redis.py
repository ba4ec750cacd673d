"""With REDIS_URL set, separate app processes share one count: of log-in attempts, of a member's writes and of
their café events."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from tests.conftest import TEST_REDIS_URL, service_missing

ROOT = Path(__file__).resolve().parents[2]

# Runs in its own Python process: a fresh app on the shared Redis makes N log-in attempts, prints the answers.
ATTEMPTS = """
import json, os, pathlib, sys
from tests.conftest import make_test_app, submit
from community.extensions import db
tmp = pathlib.Path(sys.argv[1])
app = make_test_app(f"sqlite:///{tmp}/app.db", tmp, REDIS_URL=os.environ["R"], RATELIMIT_STORAGE_URI=os.environ["R"],
                    RATELIMIT_KEY_PREFIX=os.environ["PREFIX"])
with app.app_context():
    db.create_all()
client = app.test_client()
codes = [submit(client, "/login", {"email": "x@example.org", "password": "guess"}).status_code
         for _ in range(int(sys.argv[2]))]
print(json.dumps(codes))
"""

# The same, for a member (id 1 in each process's own new database: the same person to the limits): N writes, then
# N catch-ups in the café room, with both limits lowered to 3 an hour.
MEMBER_WRITES = """
import json, os, pathlib, sys
from tests import factories
from tests.cafe.processes import open_session_covering_now
from tests.conftest import make_test_app
from community.extensions import db, socketio
tmp = pathlib.Path(sys.argv[1])
app = make_test_app(f"sqlite:///{tmp}/app.db", tmp, REDIS_URL=os.environ["R"], RATELIMIT_STORAGE_URI=os.environ["R"],
                    RATELIMIT_KEY_PREFIX=os.environ["PREFIX"], SOCKETIO_WITHOUT_QUEUE=True, WTF_CSRF_ENABLED=False,
                    WRITE_LIMIT="3 per hour", CAFE_EVENT_LIMIT="3 per hour")
with app.app_context():
    db.create_all()
    factories.make_member("kai@example.org")
    open_session_covering_now()
    web = app.test_client()
    assert web.post("/login", data={"email": "kai@example.org", "password": factories.PASSWORD}).status_code == 302
    writes = [web.post("/notifications/read").status_code for _ in range(int(sys.argv[2]))]
    room = socketio.test_client(app, namespace="/cafe", flask_test_client=web)
    events = [room.emit("catch_up", {"after": 0}, namespace="/cafe", callback=True)["ok"]
              for _ in range(int(sys.argv[2]))]
print(json.dumps([writes, events]))
"""


@pytest.fixture
def redis_url():
    if not TEST_REDIS_URL:
        service_missing("TEST_REDIS_URL is not set")
    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        service_missing(f"Redis at TEST_REDIS_URL is not reachable: {error}")
    return TEST_REDIS_URL


def attempts_in_a_new_process(count: int, tmp_path: Path, prefix: str, redis_url: str, script: str = ATTEMPTS):
    folder = tmp_path / uuid.uuid4().hex
    folder.mkdir()
    result = subprocess.run([sys.executable, "-c", script, str(folder), str(count)], cwd=ROOT,
                            env={**os.environ, "R": redis_url, "PREFIX": prefix}, capture_output=True,
                            text=True, timeout=60, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_processes_share_the_login_limit_through_redis(redis_url, tmp_path):
    prefix = f"test-{uuid.uuid4().hex}"
    try:
        assert attempts_in_a_new_process(6, tmp_path, prefix, redis_url) == [200] * 6
        # A different process, same address: its first attempt is already the seventh.
        assert attempts_in_a_new_process(1, tmp_path, prefix, redis_url) == [429]
    finally:
        forget(prefix, redis_url)


def test_two_processes_share_a_members_write_and_cafe_event_limits_through_redis(redis_url, tmp_path):
    prefix = f"test-{uuid.uuid4().hex}"
    try:
        assert attempts_in_a_new_process(3, tmp_path, prefix, redis_url, MEMBER_WRITES) == [[302] * 3, [True] * 3]
        # Another process: the same member's next write and next café event are already over the limit.
        assert attempts_in_a_new_process(1, tmp_path, prefix, redis_url, MEMBER_WRITES) == [[429], [False]]
    finally:
        forget(prefix, redis_url)


def forget(prefix: str, redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    for key in connection.scan_iter(f"LIMITS:LIMITER/{prefix}/*"):
        connection.delete(key)
