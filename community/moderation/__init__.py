"""Moderation: flags, the one review queue, held posts, watched words, crisis alerts, decisions about content and
members, appeals, and the audit log. Features register their kinds of content (registry.py); moderation imports
no feature."""

from flask import Blueprint

bp = Blueprint("moderation", __name__, cli_group="moderation")

from . import cli, routes  # noqa: E402,F401  (registers the views and `flask moderation` commands on bp)
