"""The members' lounge: members-only tools (letter templates, checklist and diary arrive in their own issue)."""

from flask import Blueprint, render_template

from community.permissions import member_required

bp = Blueprint("lounge", __name__)


@bp.route("/lounge")
@member_required
def index():
    return render_template("lounge/index.html")
