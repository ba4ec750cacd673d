"""Password hashing runs at most a bounded number of argon2 computations at once, and still hashes and checks."""

import multiprocessing
import os
import threading
import time

import pytest
from argon2 import PasswordHasher

from community.accounts import passwords


class CountingHasher:
    """Wraps a cheap PasswordHasher, holding each call a moment and noting the most calls in flight at once."""

    def __init__(self):
        self.hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        self.lock = threading.Lock()
        self.running = self.most_at_once = 0
        self.threads = set()

    def _counted(self, work, *args):
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.threads.add(threading.current_thread().name)
        try:
            time.sleep(0.03)  # long enough that unbounded callers would overlap
            return work(*args)
        finally:
            with self.lock:
                self.running -= 1

    def hash(self, password):
        return self._counted(self.hasher.hash, password)

    def verify(self, password_hash, password):
        return self._counted(self.hasher.verify, password_hash, password)

    def check_needs_rehash(self, password_hash):
        return self.hasher.check_needs_rehash(password_hash)


@pytest.fixture
def counting_hasher(monkeypatch):
    hasher = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hasher.hash("not-a-real-password"))
    yield hasher
    passwords.set_hashing_concurrency(0)  # back to the default for the tests that follow


def log_in_at_once(callers: int) -> list[bool]:
    """`callers` threads each hash a password and check it, right and wrong, all starting together."""
    start = threading.Barrier(callers)
    results = []

    def caller(number):
        start.wait()
        password = f"password number {number}"
        hashed = passwords.hash_password(password)
        results.extend([passwords.check_password(hashed, password), passwords.check_password(hashed, "wrong")])

    threads = [threading.Thread(target=caller, args=(number,)) for number in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_no_more_hashes_run_at_once_than_the_bound(counting_hasher):
    passwords.set_hashing_concurrency(3)
    results = log_in_at_once(12)
    assert counting_hasher.most_at_once == 3
    assert results.count(True) == 12 and results.count(False) == 12


def test_the_bound_is_read_from_the_environment_at_first_use(counting_hasher, monkeypatch):
    monkeypatch.setenv("PASSWORD_HASHING_CONCURRENCY", "1")
    passwords.set_hashing_concurrency(0)
    log_in_at_once(4)
    assert counting_hasher.most_at_once == 1


def test_hashing_defaults_to_one_thread_per_core(counting_hasher, monkeypatch):
    monkeypatch.delenv("PASSWORD_HASHING_CONCURRENCY", raising=False)
    passwords.set_hashing_concurrency(0)
    cores = len(os.sched_getaffinity(0))
    log_in_at_once(2 * cores + 2)
    assert counting_hasher.most_at_once == cores
    assert all(name.startswith("password-hashing") for name in counting_hasher.threads)


def test_without_a_bound_each_hash_runs_on_its_callers_thread(counting_hasher):
    passwords.set_hashing_concurrency(None)
    log_in_at_once(4)
    assert counting_hasher.most_at_once == 4
    assert not any(name.startswith("password-hashing") for name in counting_hasher.threads)


def test_real_argon2_hashes_and_checks_through_the_bound():
    hashed = passwords.hash_password("a long enough pass phrase")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.check_password(hashed, "a long enough pass phrase")
    assert not passwords.check_password(hashed, "another pass phrase")
    assert not passwords.check_password(None, "a long enough pass phrase")  # no account: same effort, False
    assert not passwords.check_password("not a hash at all", "a long enough pass phrase")
    assert not passwords.needs_rehash(hashed)


def _hash_in_child(queue):
    queue.put(passwords.check_password(passwords.hash_password("a long enough pass phrase"),
                                       "a long enough pass phrase"))


@pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="no fork on this platform")
def test_a_forked_worker_starts_its_own_hashing_threads():
    # As gunicorn --preload does: the parent has hashed (so has a pool), then forks; the child must not hang.
    passwords.hash_password("a long enough pass phrase")
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_hash_in_child, args=(queue,))
    child.start()
    child.join(timeout=20)
    if child.is_alive():
        child.kill()
        pytest.fail("hashing in a forked child hung")
    assert queue.get(timeout=1) is True


# Under gevent (production), `threading` makes greenlets: a hash there would stop every other request of the
# process for its 20 ms. The child patches first, as gunicorn's gevent worker does, then checks that a hash runs on
# a real thread of its own (the process's one real thread goes on serving meanwhile).
_UNDER_GEVENT = """
from gevent import monkey; monkey.patch_all()
import gevent
from community.accounts import passwords
real_ident = monkey.get_original("threading", "get_ident")
hashed = passwords.hash_password("a long enough pass phrase")
hashing_thread = passwords._run_hashing(real_ident)
checks = [gevent.spawn(passwords.check_password, hashed, "a long enough pass phrase") for _ in range(4)]
gevent.joinall(checks)
print(hashing_thread != real_ident(), all(check.value for check in checks))
"""


def test_under_gevent_hashes_run_on_real_threads():
    import subprocess
    import sys
    from pathlib import Path

    child = subprocess.run([sys.executable, "-c", _UNDER_GEVENT], capture_output=True, text=True, timeout=60,
                           cwd=Path(__file__).resolve().parents[2])
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["True", "True"]
