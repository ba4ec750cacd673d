"""Membership: who has member access, why, until when, and every change to it (Stripe arrives separately)."""

from flask import Blueprint

bp = Blueprint("membership", __name__)

from . import routes  # noqa: E402,F401
