"""With REDIS_URL set, separate app processes share one count of log-in attempts."""

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


@pytest.fixture
def redis_url():
    if not TEST_REDIS_URL:
        service_missing("TEST_REDIS_URL is not set")
    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        service_missing(f"Redis at TEST_REDIS_URL is not reachable: {error}")
    return TEST_REDIS_URL


def attempts_in_a_new_process(count: int, tmp_path: Path, prefix: str, redis_url: str) -> list[int]:
    folder = tmp_path / uuid.uuid4().hex
    folder.mkdir()
    result = subprocess.run([sys.executable, "-c", ATTEMPTS, str(folder), str(count)], cwd=ROOT,
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
        connection = redis.Redis.from_url(redis_url)
        for key in connection.scan_iter(f"LIMITS:LIMITER/{prefix}/*"):
            connection.delete(key)
