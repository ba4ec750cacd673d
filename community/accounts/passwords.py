"""Password hashing (argon2id) and the password rules: 8 to 128 characters, not one of the most common."""

import gzip
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 128

# OWASP's first argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Checked against when an email is unknown, so that answer takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@cache
def _common_passwords() -> frozenset[str]:
    # The 20,000 most common passwords, the list Django ships (BSD licence), from Royce Williams' research.
    path = Path(__file__).with_name("common-passwords.txt.gz")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def password_problem(password: str) -> str | None:
    """Say kindly what is wrong with a new password, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Your password needs at least {MIN_LENGTH} characters. A few words strung together work well."
    if len(password) > MAX_LENGTH:
        return f"Your password can have at most {MAX_LENGTH} characters."
    if password.strip().lower() in _common_passwords():
        return "That password is one of the most common ones, so it is easy to guess. Choose another."
    return None


# Concurrent hashing -----------------------------------------------------------------------------------------
# Each argon2 computation holds a 19 MiB block, and glibc keeps a freed one in the arena of the thread that
# freed it: hashed on the request threads, 32 log-ins at once grew a gthread worker from 100 MB to 900 MB for
# good (bench/login_load.py). So hashes run on a few threads of their own, one per core (more at once would be
# no faster): other log-ins queue briefly, and only those threads' arenas ever hold the blocks.

_limit: int | None = 0  # 0: not chosen yet; None: no bound, each hash on its caller's thread
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def set_hashing_concurrency(limit: int | None) -> None:
    """Run at most `limit` argon2 hashes or checks at once in this process, on that many threads of their own.

    0 goes back to the default (PASSWORD_HASHING_CONCURRENCY, else the number of cores); None hashes on the
    caller's thread with no bound, as before the bound existed, for benchmarks to compare.
    """
    global _limit, _pool
    with _pool_lock:
        _limit, old_pool, _pool = limit, _pool, None
    if old_pool is not None:
        old_pool.shutdown(wait=False)


def _hashing_pool() -> ThreadPoolExecutor | None:
    global _limit, _pool
    if _pool is None and _limit is not None:
        with _pool_lock:
            if _limit == 0:
                # Read at first use, not import, so the environment is the running worker's.
                _limit = int(os.environ.get("PASSWORD_HASHING_CONCURRENCY") or 0) or _usable_cores()
            if _pool is None and _limit is not None:
                _pool = _GeventThreads(_limit) if _patched_by_gevent() else \
                    ThreadPoolExecutor(_limit, thread_name_prefix="password-hashing")
    return _pool


def _patched_by_gevent() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


class _GeventThreads:
    """Under gevent (production), `threading` makes greenlets, not threads: a hash on one would stop every other
    request of the process for its 20 ms. gevent's own pool runs real threads, and argon2 lets go of the GIL while
    it works, so the process goes on serving meanwhile."""

    def __init__(self, limit: int):
        from gevent.threadpool import ThreadPool  # only ever loaded under gevent

        self._threads = ThreadPool(limit)

    def submit(self, work, *args):
        return self._threads.spawn(work, *args)  # an AsyncResult: .result() waits like a Future's

    def shutdown(self, wait: bool = False) -> None:
        self._threads.kill()


def _usable_cores() -> int:
    """The cores this process may run on (a container's share, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _forget_pool_after_fork() -> None:
    # A forked child (gunicorn --preload) has none of its parent's threads: it starts its own pool when needed.
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _run_hashing(work, *args):
    pool = _hashing_pool()
    return work(*args) if pool is None else pool.submit(work, *args).result()


def hash_password(password: str) -> str:
    return _run_hashing(_hasher.hash, password)


def check_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; spends the same effort when there is no account to check."""
    try:
        return _run_hashing(_hasher.verify, password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
