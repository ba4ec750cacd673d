"""The notifications page and email preferences."""

from . import bp  # noqa: F401
