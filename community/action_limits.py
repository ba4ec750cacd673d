"""Limits on how often a member may do something (post, flag), counted only when the thing is done and checked
inside the view, so a refused submit comes back with its words rather than as an error page."""

import logging

from flask import current_app
from limits import parse_many

from community.extensions import limiter

log = logging.getLogger(__name__)


class ActionLimit:
    def __init__(self, name: str, limits: str):
        self.name = name
        self.items = parse_many(limits)

    def _key(self, who) -> tuple[str, str, str]:
        return current_app.config.get("RATELIMIT_KEY_PREFIX", ""), self.name, str(who)

    def allows(self, who) -> bool:
        """True while `who` is under every limit. When the limits' storage is away, people may go on rather than
        lose their words."""
        if not limiter.enabled:
            return True
        try:
            return all(limiter.limiter.test(item, *self._key(who)) for item in self.items)
        except Exception:  # noqa: BLE001
            log.exception("Could not check the %s limit", self.name)
            return True

    def count(self, who) -> None:
        if not limiter.enabled:
            return
        try:
            for item in self.items:
                limiter.limiter.hit(item, *self._key(who))
        except Exception:  # noqa: BLE001
            log.exception("Could not count towards the %s limit", self.name)
