"""The admins' home: one page linking to every feature's admin screens."""

from flask import Blueprint, render_template

from community.permissions import admin_required

bp = Blueprint("admin", __name__)


@bp.route("/admin")
@admin_required
def index():
    return render_template("admin/index.html")
