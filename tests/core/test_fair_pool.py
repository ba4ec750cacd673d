"""Requests waiting for a PostgreSQL connection are served in the order they came, so none waits by bad luck."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from community.config import engine_options

ROOT = Path(__file__).resolve().parents[2]


def _one_connection_engine(url: str, timeout: float = 10):
    """The app's own engine settings (community/config.py), shrunk to one connection so requests must queue."""
    return create_engine(url, **{**engine_options(url, pool_size=1), "max_overflow": 0, "pool_timeout": timeout})


def _wait_until(condition, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the waiting requests never queued"
        time.sleep(0.01)


def test_a_freed_connection_goes_to_the_longest_waiting_request(postgres_server_url):
    engine = _one_connection_engine(postgres_server_url)
    served, queued = [], []

    def request(name: str) -> None:
        queued.append(name)
        with engine.connect() as connection:
            served.append(name)
            connection.execute(text("SELECT 1"))

    held = engine.connect()
    waiting = []
    for name in ("first", "second", "third"):
        waiting.append(threading.Thread(target=request, args=(name,)))
        waiting[-1].start()
        # Each is queued before the next arrives (its turn is taken when it asks).
        _wait_until(lambda name=name: name in queued and len(engine.pool._pool._waiters) == len(queued))
    held.close()
    # The request that just gave its connection back asks again at once: it is behind the three, not before them
    # (SQLAlchemy's own queue let it take the connection straight back, and a waiter could starve).
    request("the one that gave it back")
    for thread in waiting:
        thread.join(5)
    assert served == ["first", "second", "third", "the one that gave it back"]
    engine.dispose()


def test_a_request_that_waits_too_long_gives_up_and_leaves_the_queue(postgres_server_url):
    engine = _one_connection_engine(postgres_server_url, timeout=0.3)
    held = engine.connect()
    started = time.monotonic()
    with pytest.raises(PoolTimeout):
        engine.connect()
    assert 0.25 < time.monotonic() - started < 2
    held.close()
    # The connection is not handed to the request that gave up: the next one gets it at once.
    started = time.monotonic()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    assert time.monotonic() - started < 0.25
    engine.dispose()


KILLED_WHILE_WAITING = """
from gevent import monkey; monkey.patch_all()
import gevent
from community.fair_pool import FirstComeQueue

queue = FirstComeQueue(maxsize=1)
waiting = gevent.spawn(queue.get)
gevent.sleep(0)                   # a request is now waiting for a connection
waiting.kill()                    # and is killed meanwhile (its worker stopping, a timeout around it)
queue.put("connection")           # a connection comes back: not to the dead request...
print(queue.get(block=False))     # ...but to the next one
"""


def test_a_request_killed_while_waiting_leaves_the_queue_and_no_connection_is_lost():
    # In a process of its own, under gevent as in production (the test run itself is not monkey-patched).
    result = subprocess.run([sys.executable, "-c", KILLED_WHILE_WAITING], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "connection"
