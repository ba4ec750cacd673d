"""The café's public pages: the schedule and its calendar feed; reminders; admins' schedule; hosts' summaries.
Thin views: they read the form, call one service and render or redirect."""

from dataclasses import asdict
from datetime import date

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from community.dates import DEFAULT_ZONE, local_time, reader_zone
from community.extensions import utcnow
from community.forms import ButtonForm
from community.permissions import (
    admin_required,
    has_member_access,
    is_moderator,
    member_required,
    moderator_required,
    public,
)
from community.refusals import show_on_form
from community.security import indexable

from . import bp, feed, reminders, schedule
from .forms import CancelForm, ExtraForm, RuleForm, SessionChoiceForm, SummaryForm

# Calendar apps poll the feed; a quarter of an hour is soon enough to hear of a change.
FEED_CACHE = "public, max-age=900"
WEEKS_SHOWN = 6
WEEKS_SHOWN_TO_ADMINS = 8

# The home page (community/pages) shows the next café without knowing the café: it asks this template global.
bp.add_app_template_global(schedule.next_cafe_cached, "next_cafe")


@bp.app_template_filter("cafe_when")
def cafe_when(moment, zone: str | None = None) -> str:
    """Like "Wednesday 3 March 2027, 19:00", in the reader's time zone (or `zone`)."""
    return local_time(moment, "%A %-d %B %Y, %H:%M", zone)


@bp.app_template_filter("cafe_day")
def cafe_day(moment, zone: str | None = None) -> str:
    """Like "Wednesday 3 March", in the reader's time zone (or `zone`)."""
    return local_time(moment, "%A %-d %B", zone)


@bp.app_template_filter("cafe_time")
def cafe_time(moment, zone: str | None = None) -> str:
    """Like "19:00", in the reader's time zone (or `zone`)."""
    return local_time(moment, "%H:%M", zone)


# The schedule ------------------------------------------------------------------------------------------------

@bp.route("/cafe")
@public
@indexable
def index():
    now = utcnow()
    cafes = schedule.upcoming_cached(now, weeks=WEEKS_SHOWN)
    coming = next((cafe for cafe in cafes if not cafe.cancelled), None)
    member = has_member_access(current_user)
    zone = reader_zone()  # once, and handed to the date filters: each would otherwise look the reader up again
    return render_template(
        "cafe/index.html", cafes=cafes, coming=coming, is_open=bool(coming and coming.is_open(now)),
        same_day=bool(coming and cafe_day(coming.opens_at, zone) == cafe_day(now, zone)), zone=zone,
        member=member, reminders_on=member and reminders.wants_reminders(current_user),
        reminder_form=ButtonForm() if member else None,
        summaries=schedule.recent_summaries() if member else [],
        to_summarise=schedule.sessions_to_summarise(now) if is_moderator(current_user) else [],
        retention_days=current_app.config["CAFE_RETENTION_DAYS"])


def _calendar_response(body: bytes, filename: str | None = None) -> Response:
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = FEED_CACHE
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/cafe/calendar.ics")
@public
def calendar_feed():
    """Every café, for calendar apps to subscribe to (public: it holds nothing personal)."""
    return _calendar_response(feed.calendar_feed())


@bp.route("/cafe/calendar/<day>.ics")
@public
def calendar_day(day):
    """One date's café as a file to open in a calendar app."""
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        abort(404)
    body = feed.one_day(wanted)
    if body is None:
        abort(404)
    return _calendar_response(body, f"leaky-cafe-{wanted.isoformat()}.ics")


# Reminders ---------------------------------------------------------------------------------------------------

@bp.route("/cafe/reminders", methods=["POST"])
@member_required
def reminder_choice():
    """Reminders on (the button sends reminders=on) or off (anything else): sending it twice changes nothing."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    if reminders.set_reminders(current_user, request.form.get("reminders") == "on"):
        flash("Done. We will email you on the morning of each café.", "success")
    else:
        flash("Done. We will not send you café reminders any more.", "success")
    return redirect(url_for("cafe.index", _anchor="reminders"))


# Admins' schedule --------------------------------------------------------------------------------------------

def _chosen_session(form) -> int:
    try:
        return int(form.session_id.data or 0)
    except ValueError:
        return 0


def _set_rule(form) -> str:
    the_rule = schedule.set_rule(current_user, form.start_time.data, form.end_time.data, form.host_name.data or "")
    return f"Saved. The café is every Wednesday from {the_rule.start_time} to {the_rule.end_time}, London time."


def _cancel(form) -> str:
    row = schedule.cancel(current_user, form.date.data, form.note.data or "")
    return f"The café on {cafe_day(row.starts_at, DEFAULT_ZONE)} is called off. Members see it marked cancelled."


def _restore(form) -> str:
    schedule.uncancel(current_user, _chosen_session(form))
    return "That Wednesday’s café is back on."


def _add_extra(form) -> str:
    row = schedule.add_extra(current_user, form.date.data, form.start_time.data, form.end_time.data,
                             form.note.data or "", form.host_name.data or "")
    return f"Added an extra session on {cafe_when(row.starts_at, DEFAULT_ZONE)}, London time."


def _remove_extra(form) -> str:
    schedule.remove_extra(current_user, _chosen_session(form))
    return "That extra session is called off. Members see it marked cancelled."


# The button's `action` says which of the page's forms was sent.
ADMIN_ACTIONS = {"rule": (RuleForm, _set_rule), "cancel": (CancelForm, _cancel),
                 "restore": (SessionChoiceForm, _restore), "extra": (ExtraForm, _add_extra),
                 "remove": (SessionChoiceForm, _remove_extra)}
NO_ACTION = "Choose one of the buttons on the page to make a change."


@bp.route("/cafe/admin", methods=["GET", "POST"])
@admin_required
def admin():
    forms = {"rule": RuleForm(prefix="rule", formdata=None, data=asdict(schedule.rule())),
             "cancel": CancelForm(prefix="cancel", formdata=None), "extra": ExtraForm(prefix="extra", formdata=None)}
    failed = None
    if request.method == "POST":
        action = request.form.get("action", "")
        form_class, change = ADMIN_ACTIONS.get(action, (SessionChoiceForm, None))
        failed = form_class(prefix=action if change else "none")
        if change is None:
            failed.form_errors.append(NO_ACTION)
        elif failed.validate_on_submit():
            try:
                message = change(failed)
            except schedule.ScheduleError as refusal:
                show_on_form(failed, refusal)
            else:
                flash(message, "success")
                return redirect(url_for("cafe.admin"))
        if action in forms:
            forms[action] = failed
    html = render_template("cafe/admin.html", forms=forms, form=failed, the_rule=schedule.rule(),
                           cafes=schedule.upcoming(weeks=WEEKS_SHOWN_TO_ADMINS))
    return html, 400 if failed is not None else 200


# Hosts' summaries --------------------------------------------------------------------------------------------

@bp.route("/cafe/sessions/<int:session_id>/summary", methods=["GET", "POST"])
@moderator_required
def summary(session_id):
    session = schedule.get_session(session_id)
    form = SummaryForm(obj=session)
    if form.validate_on_submit():
        try:
            schedule.write_summary(current_user, session, form.summary.data or "")
        except schedule.ScheduleError as refusal:
            show_on_form(form, refusal)
        else:
            flash("Saved. Members see the summary on the café page." if session.summary
                  else "The summary is removed.", "success")
            return redirect(url_for("cafe.index", _anchor="summaries"))
    return render_template("cafe/summary.html", form=form, session=session), 400 if form.errors else 200
