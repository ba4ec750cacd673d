"""The symptom diary's pages: the diary (chart, table and recent entries), every entry page by page, adding,
changing and deleting an entry, the CSV download and the printable appointment summary.

Every rule is in community.lounge.diary; a refusal comes back beside its field with every value kept (status 400).
An entry that is not the member's own answers 404 on every route, for moderators and admins too, so a guessed id
reveals nothing and changes nothing."""

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from community.forms import ButtonForm, new_form_token
from community.permissions import member_required
from community.refusals import show_on_form

from . import bp, diary
from .diary_chart import Point, chart_svg
from .forms import DiaryEntryForm, DiaryPeriodForm
from .models import TREATMENTS, DiaryEntry


def _own_entry(entry_id) -> DiaryEntry:
    entry = diary.own_entry(current_user, entry_id)
    if entry is None:
        abort(404)
    return entry


def _day(value: date) -> str:
    return value.strftime("%-d %B %Y")


def _chart(entries: list[DiaryEntry], start: date, end: date, id_prefix: str = "diary-chart"):
    title = f"Headache scores from {_day(start)} to {_day(end)}"
    description = ("Upright is a solid line with round points, lying down a dashed line with square points, on a "
                   "scale of 0 to 10; dotted lines mark days with a treatment. The table below has the same "
                   "figures.")
    points = [Point(entry.day, entry.headache_upright, entry.headache_lying, bool(entry.treatment))
              for entry in entries]
    return chart_svg(points, start, end, title, description, id_prefix)


def _rows(entries: list[DiaryEntry]) -> list[dict]:
    return [{"entry": entry, "upright_time": diary.upright_label(entry),
             "symptoms": ", ".join([*diary.symptom_labels(entry), *([entry.other_symptoms]
                                                                    if entry.other_symptoms else [])]),
             "treatment": diary.treatment_label(entry)} for entry in entries]


@bp.route("/lounge/diary")
@member_required
def diary_index():
    weeks = diary.weeks_from(request.args.get("weeks"))
    start, end = diary.last_weeks(current_user, weeks)
    entries = diary.entries_between(current_user, start, end)
    # A few to hand; every entry is on /lounge/diary/entries (and the page keeps within its weight budget).
    recent = diary.recent_entries(current_user, 5)
    return render_template("lounge/diary/index.html", weeks=weeks, choices=diary.CHART_WEEKS, start=start, end=end,
                           rows=_rows(entries), chart=_chart(entries, start, end) if entries else None,
                           recent=_rows(recent))


@bp.route("/lounge/diary/entries")
@member_required
def diary_entries():
    listing = diary.entries_page(current_user, request.args.get("page"))
    return render_template("lounge/diary/entries.html", listing=listing, rows=_rows(listing.entries))


def _form_page(form: DiaryEntryForm, entry: DiaryEntry | None, from_latest: bool = False, status: int = 200):
    action = url_for("lounge.diary_change", diary_entry_id=entry.id) if entry else url_for("lounge.diary_new")
    form.day.render_kw = {**(form.day.render_kw or {}), "max": diary.today_for(current_user).isoformat()}
    return render_template("lounge/diary/entry.html", form=form, entry=entry, action=action,
                           from_latest=from_latest), status


def _save(form: DiaryEntryForm, entry: DiaryEntry | None):
    if not form.validate_on_submit():
        return _form_page(form, entry, status=400)
    try:
        saved = diary.save_entry(current_user, entry, form_token=form.form_token.data if entry is None else None,
                                 **form.values())
    except diary.DiaryError as refusal:
        show_on_form(form, refusal)
        return _form_page(form, entry, status=400)
    flash(f"Your diary entry for {_day(saved.day)} is saved." if entry is None
          else f"Your changes to the entry for {_day(saved.day)} are saved.", "success")
    return redirect(url_for("lounge.diary_index"))


@bp.route("/lounge/diary/new", methods=["GET", "POST"])
@member_required
def diary_new():
    form = DiaryEntryForm()
    if request.method == "POST":
        return _save(form, None)
    form.day.data = diary.today_for(current_user).isoformat()
    form.form_token.data = new_form_token()
    latest = diary.latest_entry(current_user)
    if latest is not None:
        form.headache_upright.data = str(latest.headache_upright)
        form.headache_lying.data = str(latest.headache_lying)
        form.upright_minutes.data = str(latest.upright_minutes) if latest.upright_minutes is not None else None
    return _form_page(form, None, from_latest=latest is not None)


@bp.route("/lounge/diary/<int:diary_entry_id>", methods=["GET", "POST"])
@member_required
def diary_change(diary_entry_id):
    entry = _own_entry(diary_entry_id)
    if request.method == "POST":
        return _save(DiaryEntryForm(), entry)
    form = DiaryEntryForm(data={
        "day": entry.day.isoformat(), "headache_upright": str(entry.headache_upright),
        "headache_lying": str(entry.headache_lying),
        "upright_minutes": str(entry.upright_minutes) if entry.upright_minutes is not None else None,
        "symptoms": entry.symptom_keys, "other_symptoms": entry.other_symptoms, "treatment": entry.treatment,
        "treatment_details": entry.treatment_details, "notes": entry.notes})
    return _form_page(form, entry)


@bp.route("/lounge/diary/<int:diary_entry_id>/delete", methods=["GET", "POST"])
@member_required
def diary_delete(diary_entry_id):
    entry = _own_entry(diary_entry_id)
    form = ButtonForm()
    if request.method == "POST" and form.validate_on_submit():
        day = entry.day
        diary.delete_entry(current_user, entry)
        flash(f"The diary entry for {_day(day)} is deleted.", "success")
        return redirect(url_for("lounge.diary_index"))
    return render_template("lounge/diary/delete.html", form=form, row=_rows([entry])[0]), \
        400 if request.method == "POST" else 200


@bp.route("/lounge/diary/diary.csv")
@member_required
def diary_csv():
    return Response(diary.diary_csv(current_user), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{diary.csv_filename(current_user)}"',
        "Cache-Control": "no-store"})


@bp.route("/lounge/diary/summary")
@member_required
def diary_summary():
    form = DiaryPeriodForm(request.args)
    try:
        start, end = diary.check_period(current_user, form.start.data, form.end.data)
    except diary.DiaryError as refusal:
        show_on_form(form, refusal)
        return render_template("lounge/diary/summary.html", form=form, summary=None), 400
    if not form.start.data and not form.end.data:
        form.start.data, form.end.data = start.isoformat(), end.isoformat()
    summary = diary.period_summary(current_user, start, end)
    chart = _chart(summary.entries, start, end, "summary-chart") if summary.entries else None
    return render_template("lounge/diary/summary.html", form=form, summary=summary, chart=chart,
                           rows=_rows(summary.entries), today=diary.today_for(current_user), treatments=TREATMENTS)
