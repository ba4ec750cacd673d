"""Moderation pages: the queue and its items, flagging, members' standing and appeals, and the admins' audit log,
watched words and settings. Thin views: they read the form, call one service and render or redirect."""

from flask import render_template
from flask_login import current_user

from community.permissions import login_required, open_when_suspended

from . import bp, services


@bp.route("/standing")
@login_required
@open_when_suspended
def standing():
    """A member's own notices from moderators: why, until when, and a way to appeal each decision once."""
    return render_template("moderation/standing.html", notices=services.notices_for(current_user))
