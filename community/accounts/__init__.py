"""Accounts: sign-up, email verification, log in and out, password reset, profile, settings and roles."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, cli_group="users")

from . import cli, routes  # noqa: E402,F401  (registers the views and commands on bp)
