"""Forum pages: categories, threads, writing and reacting (members only)."""

from . import bp  # noqa: F401
