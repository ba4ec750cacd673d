"""A value kept by each web process for a short while, for what every page shows and rarely changes (the hub's
list of guides, the next café): one query a minute instead of one a page.

Each process has its own copy, so a change made in one process clears that copy at once (`clear`) and reaches the
others when theirs runs out."""

from collections.abc import Callable
from time import monotonic
from typing import Generic, TypeVar

from flask import current_app

T = TypeVar("T")


class ProcessCache(Generic[T]):
    def __init__(self, name: str, seconds: float):
        self.key, self.seconds = f"community.process_cache.{name}", seconds

    def get(self, compute: Callable[[], T], still_good: Callable[[T], bool] = lambda value: True) -> T:
        """The kept value while it is younger than `seconds` and `still_good`; else `compute()`, kept anew."""
        app = current_app._get_current_object()
        kept = app.extensions.get(self.key)
        if kept is not None and monotonic() < kept[1] and still_good(kept[0]):
            return kept[0]
        value = compute()
        app.extensions[self.key] = (value, monotonic() + self.seconds)
        return value

    def clear(self) -> None:
        current_app.extensions.pop(self.key, None)
