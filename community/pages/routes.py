"""Home, resource hub, crisis signposting, and the admins' page editor."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from community.forms import ButtonForm
from community.markdown import render_markdown
from community.permissions import admin_required
from community.refusals import show_on_form

from . import bp, services
from .forms import PageForm


def _page_or_404(slug: str):
    page = services.find_page(slug)
    if page is None:
        abort(404)
    return page


@bp.route("/")
def home():
    return render_template("pages/home.html", pages=services.list_pages())


@bp.route("/resources")
def resources():
    return render_template("pages/resources.html", pages=services.list_pages())


@bp.route("/resources/<slug>")
def resource(slug):
    page = _page_or_404(slug)
    return render_template("pages/resource.html", page=page, rendered=render_markdown(page.body))


@bp.route("/need-help")
def need_help():
    return render_template("pages/need_help.html")


@bp.route("/admin/pages")
@admin_required
def admin_pages():
    return render_template("pages/admin_list.html", pages=services.list_pages())


@bp.route("/admin/pages/<slug>", methods=["GET", "POST"])
@admin_required
def edit_page(slug):
    page = _page_or_404(slug)
    form = PageForm(obj=page, based_on_revision=page.current_revision_id)
    preview = None
    if form.validate_on_submit():
        if request.form.get("action") == "preview":
            preview = render_markdown(form.body.data)
        else:
            based_on = int(form.based_on_revision.data) if form.based_on_revision.data.isdigit() else None
            try:
                services.save_page(current_user, page, form.title.data, form.summary.data, form.body.data,
                                   form.note.data or "", based_on)
            except services.PageError as error:
                show_on_form(form, error)
            else:
                flash(f"Saved. “{page.title}” is updated.", "success")
                return redirect(url_for("pages.resource", slug=page.slug))
    return render_template("pages/admin_edit.html", page=page, form=form, preview=preview)


@bp.route("/admin/pages/<slug>/history")
@admin_required
def page_history(slug):
    page = _page_or_404(slug)
    return render_template("pages/admin_history.html", page=page, revisions=services.page_history(page))


@bp.route("/admin/pages/<slug>/history/<int:revision_id>", methods=["GET", "POST"])
@admin_required
def page_revision(slug, revision_id):
    page = _page_or_404(slug)
    revision = services.find_revision(page, revision_id) or abort(404)
    form = ButtonForm()
    if form.validate_on_submit():
        services.restore_revision(current_user, page, revision)
        flash("That version is back on the page. The version it replaced is kept in the history.", "success")
        return redirect(url_for("pages.page_history", slug=page.slug))
    return render_template("pages/admin_revision.html", page=page, revision=revision, form=form,
                           rendered=render_markdown(revision.body))
