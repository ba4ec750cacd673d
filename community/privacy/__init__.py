"""Privacy: a member's data export, account erasure and retention. Features register what they keep about a member
in `registry`; `routes` serves the export and erasure pages, `cli` the daily purge."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from . import cli, routes  # noqa: E402,F401
