"""The café room's pages (HTTP): the room itself, and the plain form that sends a message without scripts."""

from . import bp  # noqa: F401
