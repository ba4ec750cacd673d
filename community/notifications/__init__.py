"""In-app notifications and email preferences, used by every feature (mentions, replies, quotes...)."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, cli_group="notifications")

from . import routes  # noqa: E402,F401
