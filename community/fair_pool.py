"""A database connection pool that serves waiting requests in the order they came.

SQLAlchemy's QueuePool keeps its free connections in a queue guarded by a condition variable. When a connection
comes back it wakes the longest waiter, but under gevent the request that returned it (or one just arriving) runs
first and takes it; the woken one finds nothing and queues again at the back. With 32 requests sharing 10
connections that starved a few requests for a second or more: `/account` answered in 83 ms at the median and
1,140 ms at the 99th percentile (bench/README.md). Here a returned connection is handed straight to the first
waiter, and no one takes a free connection while others wait, so the wait is the queue's length, never luck."""

import threading
from collections import deque
from time import monotonic

from sqlalchemy.pool import QueuePool
from sqlalchemy.util.queue import Empty, Queue


class _Waiter:
    """One request waiting for a connection; `handed` is set (under the queue's lock) when it gets one."""

    __slots__ = ("ready", "item", "handed")

    def __init__(self):
        self.ready = threading.Event()
        self.item = None
        self.handed = False


class FirstComeQueue(Queue):
    """SQLAlchemy's pool queue, first come first served: `put` hands to the longest waiter, `get` never jumps it."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False):
        super().__init__(maxsize, use_lifo)
        self._waiters: deque[_Waiter] = deque()

    def put(self, item, block: bool = True, timeout: float | None = None) -> None:
        with self.mutex:
            if self._hand_to_first_waiter(item):
                return
        super().put(item, block, timeout)

    def _hand_to_first_waiter(self, item) -> bool:
        """Under the lock: give `item` to the longest waiter, if anyone waits."""
        if not self._waiters:
            return False
        waiter = self._waiters.popleft()
        waiter.item, waiter.handed = item, True
        waiter.ready.set()
        return True

    def get(self, block: bool = True, timeout: float | None = None):
        with self.mutex:
            if not self._waiters and not self._empty():
                item = self._get()
                self.not_full.notify()
                return item
            if not block:
                raise Empty
            waiter = _Waiter()
            self._waiters.append(waiter)
        deadline = None if timeout is None else monotonic() + timeout
        try:
            while True:
                waiter.ready.wait(None if deadline is None else max(deadline - monotonic(), 0))
                with self.mutex:
                    if waiter.handed:
                        return waiter.item
                    if deadline is not None and monotonic() >= deadline:
                        self._waiters.remove(waiter)
                        raise Empty
        except BaseException:
            # Interrupted while waiting (a greenlet killed on shutdown, a timeout around the request): leave the
            # queue, and pass on a connection handed over meanwhile, or it would be lost to the pool for good.
            with self.mutex:
                if waiter.handed:
                    if not self._hand_to_first_waiter(waiter.item):
                        self._put(waiter.item)  # even past maxsize: the pool counts this connection as its own
                elif waiter in self._waiters:
                    self._waiters.remove(waiter)
            raise


class FirstComePool(QueuePool):
    """QueuePool with FirstComeQueue: the same sizes, overflow and timeout, served in order."""

    _queue_class = FirstComeQueue
