"""The data export: a page saying what it holds, and the two downloads (JSON for machines, a web page for people).
Open to every signed-in person, suspended members too (DESIGN.md: they keep their own data)."""

import json

from flask import Response, flash, redirect, render_template, url_for
from flask_login import current_user

from community.extensions import utcnow
from community.permissions import login_required, open_when_suspended

from . import bp, registry, services


@bp.route("/privacy/export")
@login_required
@open_when_suspended
def export_page():
    return render_template("privacy/export.html", parts=registry.parts())


def _download(body: str, mimetype: str, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    name = f"target-csf-leaks-my-data-{utcnow():%Y-%m-%d}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _allowed() -> bool:
    if services.EXPORT_LIMIT.allows(current_user.id):
        services.EXPORT_LIMIT.count(current_user.id)
        return True
    flash("You have downloaded your data several times in the last hour. Please try again later: nothing has changed "
          "in the meantime.", "info")
    return False


@bp.route("/privacy/export.json")
@login_required
@open_when_suspended
def export_json():
    if not _allowed():
        return redirect(url_for("privacy.export_page"))
    document = services.export_member(current_user)
    return _download(json.dumps(document, ensure_ascii=False, indent=2), "application/json", "json")


@bp.route("/privacy/export.html")
@login_required
@open_when_suspended
def export_html():
    if not _allowed():
        return redirect(url_for("privacy.export_page"))
    document = services.export_member(current_user)
    return _download(render_template("privacy/export_document.html", document=document), "text/html", "html")
