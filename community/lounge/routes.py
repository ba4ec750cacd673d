"""The lounge's front page, and the patient checklist's pages."""

from flask import render_template

from community.permissions import member_required

from . import bp


@bp.route("/lounge")
@member_required
def index():
    return render_template("lounge/index.html")
