"""A value kept by each web process for a short while, for what every page shows and rarely changes (the hub's
list of guides, the next café, the public's list of stories): one query a minute instead of one a page.

Each process has its own copy, so a change made in one process clears that copy at once (`clear`) and reaches the
others when theirs runs out.

When a copy runs out while many requests are under way (the café hour), one request reads the value again and the
others go on with the copy a moment longer, rather than every one of them asking the database the same thing at
once. A copy cleared because something changed is never served again."""

from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from typing import Any, Generic, TypeVar

from flask import current_app

T = TypeVar("T")


@dataclass
class _Kept:
    value: Any
    expires: float
    refreshing: bool = False


class ProcessCache(Generic[T]):
    def __init__(self, name: str, seconds: float):
        self.key, self.seconds = f"community.process_cache.{name}", seconds
        self._clears_key = f"{self.key}.clears"

    def get(self, compute: Callable[[], T], still_good: Callable[[T], bool] = lambda value: True) -> T:
        """The kept value while it is younger than `seconds` and `still_good`; else `compute()`, kept anew. While
        another request is computing it again, the old value (up to `seconds` past its time)."""
        extensions = current_app.extensions
        kept: _Kept | None = extensions.get(self.key)
        now = monotonic()
        if kept is not None and still_good(kept.value):
            if now < kept.expires or (kept.refreshing and now < kept.expires + self.seconds):
                return kept.value
            kept.refreshing = True
        clears = extensions.get(self._clears_key, 0)
        try:
            value = compute()
        except BaseException:
            if kept is not None:
                kept.refreshing = False
            raise
        # Kept only if nothing cleared the copy meanwhile: a value read before a change must not outlive it.
        if extensions.get(self._clears_key, 0) == clears:
            extensions[self.key] = _Kept(value, monotonic() + self.seconds)
        return value

    def clear(self) -> None:
        extensions = current_app.extensions
        extensions.pop(self.key, None)
        extensions[self._clears_key] = extensions.get(self._clears_key, 0) + 1
