"""A value kept by each web process for a short while, for what every page shows and rarely changes (the hub's
list of guides, the next café, the public's list of stories): one query a minute instead of one a page.

Each process has its own copy, so a change made in one process clears that copy at once (`clear`) and reaches the
others when theirs runs out.

When a copy runs out while many requests are under way (the café hour), one request reads the value again and the
others go on with the copy a moment longer, rather than every one of them asking the database the same thing at
once. After a quiet spell (the copy out of date by more than its lifetime) the others wait for that one read
instead: a burst of visitors to a page nobody read for a while is one read, not one each. A copy cleared because
something changed is never served again."""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from time import monotonic
from typing import Any, Generic, TypeVar

from flask import current_app

T = TypeVar("T")

# How long the requests that have no copy fit to show wait for another request's read before reading themselves:
# a read that takes longer than this is presumed stuck (its request killed, its connection gone).
READ_WAIT_SECONDS = 5.0
_NOTHING = object()


@dataclass
class _Kept:
    value: Any
    expires: float


@dataclass
class _Reading:
    """A read under way in this process, for the requests that arrive meanwhile."""
    started: float = field(default_factory=monotonic)
    done: threading.Event = field(default_factory=threading.Event)  # gevent's, once patched: waiting yields
    value: Any = _NOTHING  # set once read and kept; left unset if the read failed or a change cleared it


class ProcessCache(Generic[T]):
    def __init__(self, name: str, seconds: float):
        self.key, self.seconds = f"community.process_cache.{name}", seconds
        self._clears_key = f"{self.key}.clears"
        self._reading_key = f"{self.key}.reading"
        self._lock = threading.Lock()

    def get(self, compute: Callable[[], T], still_good: Callable[[T], bool] = lambda value: True) -> T:
        """The kept value while it is younger than `seconds` and `still_good`; else `compute()`, kept anew.

        One request reads at a time. While it does, the others show the old value if it ran out less than
        `seconds` ago; an older one (the page went unread for a while) they never show: they wait for that read."""
        extensions = current_app.extensions
        kept: _Kept | None = extensions.get(self.key)
        now = monotonic()
        fit = kept is not None and still_good(kept.value)
        if fit and now < kept.expires:
            return kept.value
        with self._lock:
            reading: _Reading | None = extensions.get(self._reading_key)
            mine = reading is None or now - reading.started > READ_WAIT_SECONDS
            if mine:
                reading = extensions[self._reading_key] = _Reading()
        if not mine:
            if fit and now < kept.expires + self.seconds:
                return kept.value
            if reading.done.wait(READ_WAIT_SECONDS - (now - reading.started)) and reading.value is not _NOTHING:
                return reading.value
            return compute()  # that read failed or was undone by a change: this request reads for itself
        return self._read(compute, reading)

    def _read(self, compute: Callable[[], T], reading: _Reading) -> T:
        extensions = current_app.extensions
        clears = extensions.get(self._clears_key, 0)
        try:
            value = compute()
            # Kept only if nothing cleared the copy meanwhile: a value read before a change must not outlive it.
            if extensions.get(self._clears_key, 0) == clears:
                extensions[self.key] = _Kept(value, monotonic() + self.seconds)
                reading.value = value
            return value
        finally:
            with self._lock:
                if extensions.get(self._reading_key) is reading:
                    del extensions[self._reading_key]
            reading.done.set()

    def clear(self) -> None:
        extensions = current_app.extensions
        with self._lock:
            extensions.pop(self.key, None)
            # A read under way began before the change: requests from now on start one of their own.
            extensions.pop(self._reading_key, None)
            extensions[self._clears_key] = extensions.get(self._clears_key, 0) + 1
