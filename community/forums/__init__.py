"""Forums: categories, threads and posts for members, with reactions, read state, watching and search."""

from flask import Blueprint

bp = Blueprint("forums", __name__, cli_group="forums")

from . import cli, routes  # noqa: E402,F401  (registers the views and `flask forums` commands on bp)
