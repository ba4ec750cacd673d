"""The public resource hub, the home page and the crisis signposting page, with admin editing."""

from flask import Blueprint

bp = Blueprint("pages", __name__, cli_group="pages")

from . import cli, routes  # noqa: E402,F401
