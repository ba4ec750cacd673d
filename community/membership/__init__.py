"""Membership: who has member access, why, until when, every change to it, and paying for it through Stripe."""

from flask import Blueprint

bp = Blueprint("membership", __name__, cli_group="billing")

from . import cli, routes  # noqa: E402,F401  (registers the views and `flask billing` commands on bp)
