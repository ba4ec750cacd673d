"""Privacy: a member's data export (and, with issue 13's next slice, erasure and retention). Features register
what they keep about a member in `registry`; `routes` serves the export pages."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from . import routes  # noqa: E402,F401
