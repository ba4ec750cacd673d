"""Limits on how often a member may do something (post, flag, a café event), kept where the routes' limits are
(Redis when there is one, so every process shares the count; memory otherwise).

Two ways to use one: `allows` then `count` when the thing is done, checked inside the view, so a refused submit
comes back with its words rather than as an error page; or `take`, which counts every try (a flood of socket
events costs the flooder, whatever became of each one)."""

import logging
import time
from collections.abc import Callable
from functools import lru_cache

from flask import current_app
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from community.extensions import limiter

log = logging.getLogger(__name__)

# When the shared storage does not answer, this process counts in its own memory for a while (as Flask-Limiter
# does for the routes' limits), so limits still hold and nobody waits on a dead connection at every event.
STORAGE_RETRY_SECONDS = 30
_in_memory = FixedWindowRateLimiter(MemoryStorage())
_storage_away_until = 0.0


@lru_cache(maxsize=64)
def _parsed(limits: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(limits))


class ActionLimit:
    """`limits` is a limit string such as "10 per minute;100 per hour"; or `setting` names the config key holding
    one, read at each use, so a deployment or a test can change it."""

    def __init__(self, name: str, limits: str | None = None, *, setting: str | None = None):
        if (limits is None) == (setting is None):
            raise ValueError("give an ActionLimit either its limits or the setting that holds them")
        self.name = name
        self.limits = limits
        self.setting = setting

    @property
    def items(self) -> tuple[RateLimitItem, ...]:
        return _parsed(current_app.config[self.setting] if self.setting else self.limits)

    def _key(self, who) -> tuple[str, str, str]:
        return current_app.config.get("RATELIMIT_KEY_PREFIX", ""), self.name, str(who)

    def _ask(self, question: Callable[[RateLimiter], bool], default: bool) -> bool:
        global _storage_away_until
        if not limiter.enabled:
            return default
        if time.monotonic() >= _storage_away_until:
            try:
                return question(limiter.limiter)
            except Exception:  # noqa: BLE001 - whatever the storage raised, the answer comes from memory
                log.warning("Rate-limit storage unreachable for the %s limit: counting in this process's memory "
                            "for %s seconds", self.name, STORAGE_RETRY_SECONDS, exc_info=True)
                _storage_away_until = time.monotonic() + STORAGE_RETRY_SECONDS
        try:
            return question(_in_memory)
        except Exception:  # noqa: BLE001 - never seen; people may go on rather than lose their words
            log.exception("Could not check the %s limit", self.name)
            return default

    def allows(self, who) -> bool:
        """True while `who` is under every limit (nothing is counted)."""
        key = self._key(who)
        return self._ask(lambda strategy: all(strategy.test(item, *key) for item in self.items), True)

    def count(self, who) -> None:
        """Count one done thing towards `who`'s limits."""
        self.take(who)

    def take(self, who) -> bool:
        """Count one try and say whether it is within every limit (a refused try counts too)."""
        key = self._key(who)
        return self._ask(lambda strategy: all([strategy.hit(item, *key) for item in self.items]), True)
