"""The lounge's front page, and the patient checklist: ticked and annotated by each member, and printable."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from community.permissions import member_required
from community.refusals import show_on_form

from . import bp, checklist
from .forms import ChecklistForm


@bp.route("/lounge")
@member_required
def index():
    return render_template("lounge/index.html")


@bp.route("/lounge/checklist", methods=["GET", "POST"])
@member_required
def checklist_page():
    form = ChecklistForm()
    status = 200
    if request.method == "GET":
        for key, mark in checklist.marks_for(current_user).items():
            form[f"done_{key}"].data, form[f"note_{key}"].data = mark.done, mark.note
    elif form.validate_on_submit():
        done = {item.key for item in checklist.ITEMS if form[f"done_{item.key}"].data}
        notes = {item.key: form[f"note_{item.key}"].data for item in checklist.ITEMS}
        try:
            count = checklist.save_checklist(current_user, done, notes)
        except checklist.ChecklistError as refusal:
            show_on_form(form, refusal)
            status = 400
        else:
            flash(f"Your checklist is saved: {count} of {len(checklist.ITEMS)} done.", "success")
            return redirect(url_for("lounge.checklist_page"))
    else:
        status = 400
    return render_template("lounge/checklist.html", form=form, total=len(checklist.ITEMS),
                           done=sum(1 for _, tick, _ in form.item_fields() if tick.data)), status


@bp.route("/lounge/checklist/print")
@member_required
def checklist_print():
    marks = checklist.marks_for(current_user)
    items = [(item, marks.get(item.key)) for item in checklist.ITEMS]
    return render_template("lounge/checklist_print.html", items=items)
