"""The advocacy letters' pages: choosing a template, filling in a letter (saved privately to come back to, and
saving itself as the member types when scripts are on), its preview, Word download and print page, deleting it; and
the admins' template editor, history and restore.

A letter that is not the member's own answers 404 on every route (moderators and admins included), so a guessed id
reveals nothing. Every change goes through community.lounge.letters."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from community.dates import reader_zone
from community.forms import ButtonForm, new_form_token
from community.permissions import admin_required, member_required
from community.refusals import show_on_form
from community.security import allow_in_csp

from . import bp, letters
from .forms import LetterForm, LetterTemplateForm
from .letter_docx import letter_document
from .models import Letter

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
AUTOSAVE_EVERY_SECONDS = 20


def _own_letter(letter_id) -> Letter:
    """The member's own letter, or 404 for anyone else's (or none): never say that someone else's exists."""
    try:
        letter_id = int(letter_id)
    except (TypeError, ValueError):
        abort(404)
    return letters.find_own_letter(current_user, letter_id) or abort(404)


def _template_or_404(key: str) -> letters.Wording:
    return letters.current_wording(key) or abort(404)


def _today() -> str:
    """The letter's date, in the member's own time zone, like "27 November 2026"."""
    return datetime.now(ZoneInfo(reader_zone())).strftime("%-d %B %Y")


def _rendered(letter: Letter) -> tuple[letters.Wording, letters.Rendered]:
    wording = _template_or_404(letter.template_key)
    return wording, letters.render(wording.body, letter.details or {}, _today())


def _form_page(form: LetterForm, wording: letters.Wording, letter: Letter | None, status: int = 200):
    # The one lounge page with a script: static/js/autosave.js saves the letter as the member types.
    allow_in_csp("script-src", "'self'")
    allow_in_csp("connect-src", "'self'")
    if letter is not None:
        form.letter_id.data = str(letter.id)
    action = url_for("lounge.letter", letter_id=letter.id) if letter else url_for("lounge.new_letter",
                                                                                  template_key=wording.key)
    return render_template("lounge/letters/edit.html", form=form, wording=wording, letter=letter,
                           action=action, autosave_every=AUTOSAVE_EVERY_SECONDS), status


def _save(form: LetterForm, wording: letters.Wording, letter: Letter | None):
    if not form.validate_on_submit():
        return _form_page(form, wording, letter, 400)
    try:
        letter = letters.save_letter(current_user, letter, wording.key, form.details(),
                                     form_token=form.form_token.data if letter is None else None)
    except letters.LetterError as refusal:
        show_on_form(form, refusal)
        return _form_page(form, wording, letter, 400)
    if request.form.get("action") == "later":
        flash("Your letter is saved. Only you can see it. Come back to it from this page whenever you are ready.",
              "success")
        return redirect(url_for("lounge.letters") + f"#letter-{letter.id}")
    return redirect(url_for("lounge.letter_preview", letter_id=letter.id))


@bp.route("/lounge/letters", endpoint="letters")
@member_required
def letters_index():
    wordings = letters.current_wordings()
    saved = [{"letter": letter, "title": wordings[letter.template_key].title if letter.template_key in wordings
              else "Letter", "to": (letter.details or {}).get("clinician", "")}
             for letter in letters.list_letters(current_user)]
    return render_template("lounge/letters/index.html", wordings=wordings.values(), saved=saved)


@bp.route("/lounge/letters/new/<template_key>", methods=["GET", "POST"])
@member_required
def new_letter(template_key):
    wording = _template_or_404(template_key)
    form = LetterForm()
    if request.method == "GET":
        form.your_name.data = current_user.display_name
        form.form_token.data = new_form_token()
        return _form_page(form, wording, None)
    # A letter the autosave already made: Save changes it, never makes a second one.
    letter = _own_letter(form.letter_id.data) if form.letter_id.data else None
    if letter is not None:
        wording = _template_or_404(letter.template_key)
    return _save(form, wording, letter)


@bp.route("/lounge/letters/autosave", methods=["POST"])
@member_required
def autosave_letter():
    """The form's script saves the letter here as the member types: {ok, id, saved_at, edit_url}, or
    {ok: false, error, field} with 400 when it is refused. Another member's letter id: 404, nothing changes."""
    form = LetterForm()
    letter = _own_letter(form.letter_id.data) if form.letter_id.data else None
    try:
        letter = letters.save_letter(current_user, letter, request.form.get("template_key", ""), form.details(),
                                     autosave=True, form_token=form.form_token.data if letter is None else None)
    except letters.LetterError as refusal:
        return jsonify(ok=False, error=refusal.message, field=refusal.field), 400
    saved_at = letter.updated_at.astimezone(ZoneInfo(reader_zone())).strftime("%H:%M")
    return jsonify(ok=True, id=letter.id, saved_at=saved_at, edit_url=url_for("lounge.letter", letter_id=letter.id))


@bp.route("/lounge/letters/<int:letter_id>", methods=["GET", "POST"])
@member_required
def letter(letter_id):
    letter = _own_letter(letter_id)
    wording = _template_or_404(letter.template_key)
    if request.method == "GET":
        return _form_page(LetterForm(data=letter.details or {}), wording, letter)
    return _save(LetterForm(), wording, letter)


@bp.route("/lounge/letters/<int:letter_id>/preview")
@member_required
def letter_preview(letter_id):
    letter = _own_letter(letter_id)
    wording, rendered = _rendered(letter)
    missing = [(name, letters.FIELDS[name].label) for name in rendered.missing]
    return render_template("lounge/letters/preview.html", letter=letter, wording=wording, rendered=rendered,
                           missing=missing)


@bp.route("/lounge/letters/<int:letter_id>/print")
@member_required
def letter_print(letter_id):
    letter = _own_letter(letter_id)
    wording, rendered = _rendered(letter)
    return render_template("lounge/letters/print.html", letter=letter, wording=wording, rendered=rendered)


def _file_name(title: str) -> str:
    return (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-") or "letter") + ".docx"


@bp.route("/lounge/letters/<int:letter_id>/letter.docx")
@member_required
def letter_docx(letter_id):
    letter = _own_letter(letter_id)
    wording, rendered = _rendered(letter)
    response = Response(letter_document(wording.title, rendered.paragraphs), mimetype=DOCX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{_file_name(wording.title)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/lounge/letters/<int:letter_id>/delete", methods=["GET", "POST"])
@member_required
def delete_letter(letter_id):
    letter = _own_letter(letter_id)
    form = ButtonForm()
    if form.validate_on_submit():
        letters.delete_letter(current_user, letter)
        flash("Your letter is deleted.", "success")
        return redirect(url_for("lounge.letters"))
    wording = _template_or_404(letter.template_key)
    return render_template("lounge/letters/delete.html", letter=letter, wording=wording, form=form,
                           to=(letter.details or {}).get("clinician", ""))


# Admin: the templates' wording ---------------------------------------------------------------------------------

@bp.route("/lounge/admin/letters")
@admin_required
def admin_letters():
    return render_template("lounge/letters/admin_list.html", wordings=letters.current_wordings().values())


@bp.route("/lounge/admin/letters/<template_key>", methods=["GET", "POST"])
@admin_required
def admin_edit_letter(template_key):
    wording = _template_or_404(template_key)
    form = LetterTemplateForm(data={"title": wording.title, "purpose": wording.purpose, "body": wording.body,
                                    "based_on_version": str(wording.version_id or 0)}) \
        if request.method == "GET" else LetterTemplateForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                # The raw field: a missing one is refused, never taken as the current version.
                based_on = letters.version_number(request.form.get("based_on_version"))
                letters.save_template(current_user, template_key, form.title.data, form.purpose.data,
                                      form.body.data, form.note.data, based_on)
            except letters.LetterError as refusal:
                show_on_form(form, refusal)
            else:
                flash("Saved. Members now see the new wording. The earlier one is kept in the history.", "success")
                return redirect(url_for("lounge.admin_letters"))
        status = 400
    return render_template("lounge/letters/admin_edit.html", wording=wording, form=form,
                           placeholders=letters.PLACEHOLDERS), status


@bp.route("/lounge/admin/letters/<template_key>/history")
@admin_required
def admin_letter_history(template_key):
    wording = _template_or_404(template_key)
    return render_template("lounge/letters/admin_history.html", wording=wording,
                           versions=letters.template_history(template_key))


def _version_page(template_key: str, version: letters.Wording | None):
    current = _template_or_404(template_key)
    if version is None:
        abort(404)
    form = ButtonForm()
    if form.validate_on_submit():
        letters.restore_version(current_user, template_key, version)
        flash("That wording is back. The wording it replaced is kept in the history.", "success")
        return redirect(url_for("lounge.admin_letter_history", template_key=template_key))
    paragraphs = [paragraph.split("\n") for paragraph in re.split(r"\n\s*\n", version.body.strip())]
    return render_template("lounge/letters/admin_version.html", current=current, version=version,
                           paragraphs=paragraphs, is_current=version.version_id == current.version_id)


@bp.route("/lounge/admin/letters/<template_key>/versions/<int:version_id>", methods=["GET", "POST"])
@admin_required
def admin_letter_version(template_key, version_id):
    _template_or_404(template_key)
    return _version_page(template_key, letters.find_version(template_key, version_id))


@bp.route("/lounge/admin/letters/<template_key>/original", methods=["GET", "POST"])
@admin_required
def admin_letter_original(template_key):
    _template_or_404(template_key)
    return _version_page(template_key, letters.ORIGINALS[template_key])
