"""The data export: a page saying what it holds, and the two downloads (JSON for machines, a web page for people).
Open to every signed-in person, suspended members too (DESIGN.md: they keep their own data)."""

import json

from flask import Response, abort, flash, redirect, render_template, session, url_for
from flask_login import current_user, logout_user

from community.accounts.models import User
from community.extensions import db, limiter, utcnow
from community.permissions import admin_required, login_required, open_when_suspended, recent_confirmation_required
from community.refusals import show_on_form

from . import bp, erasure, registry, services
from .forms import AdminEraseForm, EraseAccountForm


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


# Erasure -------------------------------------------------------------------------------------------------------

def _by_person() -> str:
    return str(current_user.id)


@bp.route("/privacy/erase", methods=["GET", "POST"])
@login_required
@open_when_suspended
@recent_confirmation_required  # "after confirming with their password" (and a code, with two-factor on)
@limiter.limit("10 per hour", methods=["POST"], key_func=_by_person)
def erase_page():
    form = EraseAccountForm()
    if form.validate_on_submit():
        member = current_user._get_current_object()
        email, name = member.email, member.display_name
        try:
            erasure.erase_member(member, keep_writing=form.writing.data == "keep")
        except erasure.ErasureBlocked as refusal:
            show_on_form(form, refusal)
        else:
            # The session rows are gone already; this clears the cookie in this browser too.
            session.clear()
            logout_user()
            erasure.say_goodbye(email, name, by_admin=False)
            flash("Your account has been erased. Thank you for being part of Target CSF Leaks: you are always "
                  "welcome back.", "success")
            return redirect(url_for("pages.home"))
    return render_template("privacy/erase.html", form=form, parts=registry.parts()), 400 if form.errors else 200


@bp.route("/admin/members/<int:user_id>/erase", methods=["GET", "POST"])
@admin_required
@recent_confirmation_required
def admin_erase(user_id):
    """For a member who asked by email (or post, or phone) and cannot or would rather not do it themselves."""
    member = db.session.get(User, user_id) or abort(404)
    form = AdminEraseForm()
    if member.id == current_user.id:
        form.form_errors.append("This is your own account: erase it from your own privacy page instead.")
    elif form.validate_on_submit():
        email, name = member.email, member.display_name
        try:
            pseudonym = erasure.erase_member(member, keep_writing=form.writing.data == "keep",
                                             admin=current_user._get_current_object(), reason=form.reason.data)
        except erasure.ErasureBlocked as refusal:
            show_on_form(form, refusal)
        else:
            erasure.say_goodbye(email, name, by_admin=True)
            flash(f"The account has been erased and they have been sent a last email. The audit log calls them "
                  f"{pseudonym}.", "success")
            return redirect(url_for("membership.admin_members"))
    return (render_template("privacy/admin_erase.html", form=form, member=member),
            400 if form.errors or form.form_errors else 200)
