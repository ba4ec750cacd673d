"""Moderation pages: the queue and its items, flagging, members' standing and appeals, and the admins' audit log,
watched words and settings. Thin views: they read the form, call one service and render or redirect."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from community.action_limits import ActionLimit
from community.dates import reader_zone
from community.extensions import utcnow
from community.forms import ButtonForm
from community.permissions import (
    admin_required,
    login_required,
    member_required,
    moderator_required,
    open_when_suspended,
)
from community.refusals import show_on_form
from community.security import safe_next_url

from . import bp, services
from .forms import (
    AppealDecisionForm,
    AppealForm,
    AuditFilterForm,
    DecisionForm,
    FlagForm,
    LiftForm,
    MemberActionForm,
    NoteForm,
    SettingsForm,
    WatchedWordForm,
)
from .models import FLAG_REASONS, ITEM_REASONS, WATCHED_WORD_ACTIONS

# Flags each member may send, counted only when one is made (a refused one keeps its words and costs nothing).
FLAG_LIMIT = ActionLimit("moderation-flag", "20 per hour")
TOO_MANY_FLAGS = ("You have flagged a lot in a short time, so this one has not been sent yet. Please try again in "
                  "an hour. If someone is in danger now, call 999.")


# For every page: the moderators' header link ----------------------------------------------------------------------

def _pending_for_header() -> int:
    """The open items, for "Moderation (N)" in the header: one query, only on pages that ask (moderators')."""
    if "moderation_pending" not in g:
        g.moderation_pending = services.pending_count()
    return g.moderation_pending


@bp.app_context_processor
def _header_helpers():
    return {"moderation_pending": _pending_for_header}


def waiting_words(since: datetime | None) -> str:
    """How long something has waited, in words: "a few minutes", "3 hours", "2 days"."""
    if since is None:
        return "nothing waiting"
    minutes = int((utcnow() - since).total_seconds() // 60)
    if minutes < 5:
        return "a few minutes"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    if hours < 48:
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{hours // 24} days"


@bp.context_processor
def _page_helpers():
    return {"kind_label": services.kind_label, "action_words": services.action_words, "waiting": waiting_words,
            "item_reasons": ITEM_REASONS, "flag_reasons": FLAG_REASONS}


# The queue ---------------------------------------------------------------------------------------------------------

@bp.route("/moderation")
@moderator_required
def index():
    """The dashboard and the queue: safety items first, then oldest first."""
    return render_template("moderation/index.html", dashboard=services.dashboard(), entries=services.queue(),
                           on_duty=services.is_on_duty(current_user), duty_form=ButtonForm(formdata=None))


@bp.route("/moderation/duty", methods=["POST"])
@moderator_required
def duty():
    if not ButtonForm().validate_on_submit():
        abort(400)
    on = request.form.get("on") == "1"
    services.set_on_duty(current_user, on)
    flash("You are on duty: safety alerts come to you first." if on else
          "You are off duty. Safety alerts go to the moderators on duty (or everyone, if nobody is).", "success")
    return redirect(url_for("moderation.index"))


def _item_or_404(item_id: int):
    return services.get_item(item_id) or abort(404)


def _render_item(item, decision_form=None, appeal_form=None, status=200, failed=None):
    view = services.item_view(item)
    if decision_form is None:
        decision_form = DecisionForm(formdata=None, version=str(item.version),
                                     text=view.content.text if view.content else "")
    decisions = services.decisions_for(item, view.content)
    decision_form.offer(decisions, item.kind == services.MEMBER_KIND)
    open_appeal = view.appeal if view.appeal is not None and view.appeal.decided_at is None else None
    if appeal_form is None:
        appeal_form = AppealDecisionForm(formdata=None, version=str(item.version))
    return render_template("moderation/item.html", view=view, item=item, decision_form=decision_form,
                           appeal_form=appeal_form, open_appeal=open_appeal, form=failed,
                           can_edit="edit" in decisions and item.kind != services.MEMBER_KIND,
                           appeal_by_me=open_appeal is not None and open_appeal.entry.actor_id == current_user.id,
                           member_kind=services.MEMBER_KIND), status


@bp.route("/moderation/items/<int:item_id>")
@moderator_required
def item(item_id):
    """One item with everything needed to decide: the content, where it is, its author's history, every flag."""
    return _render_item(_item_or_404(item_id))


def _already_handled():
    flash(services.ALREADY_HANDLED, "info")
    return redirect(url_for("moderation.index"))


def _stale(item, version: str | None) -> bool:
    """Closed, or changed since the moderator's page was shown: another moderator got there first."""
    return item.status != "open" or version != str(item.version)


@bp.route("/moderation/items/<int:item_id>/decide", methods=["POST"])
@moderator_required
def decide(item_id):
    item = _item_or_404(item_id)
    form = DecisionForm()
    if form.validate_on_submit():
        if _stale(item, form.version.data):
            return _already_handled()
        try:
            services.decide(current_user, item.id, int(form.version.data), form.decision.data, form.reason.data,
                            member_action=form.member_action.data or "", days=form.days.data, text=form.text.data)
        except services.AlreadyHandled:
            return _already_handled()
        except services.ModerationError as refusal:
            show_on_form(form, refusal)
        else:
            flash("Done. Your decision is saved and recorded in the audit log.", "success")
            return redirect(url_for("moderation.index"))
    elif form.version.data and _stale(item, form.version.data):
        return _already_handled()
    return _render_item(item, decision_form=form, status=400, failed=form)


@bp.route("/moderation/items/<int:item_id>/appeal", methods=["POST"])
@moderator_required
def decide_appeal(item_id):
    item = _item_or_404(item_id)
    form = AppealDecisionForm()
    if form.validate_on_submit():
        if _stale(item, form.version.data):
            return _already_handled()
        try:
            services.decide_appeal(current_user, item.id, int(form.version.data), form.outcome.data,
                                   form.reason.data)
        except services.AlreadyHandled:
            return _already_handled()
        except services.ModerationError as refusal:
            show_on_form(form, refusal)
        else:
            flash("Done. The appeal is decided and the member has been told.", "success")
            return redirect(url_for("moderation.index"))
    elif form.version.data and _stale(item, form.version.data):
        return _already_handled()
    return _render_item(item, appeal_form=form, status=400, failed=form)


# Flagging ----------------------------------------------------------------------------------------------------------

@bp.route("/moderation/flag/<kind>/<int:target_id>", methods=["GET", "POST"])
@member_required
def flag(kind, target_id):
    """Tell the moderators about a post, a story, a chat message or a member; then thank the member."""
    target = services.flag_target(current_user, kind, target_id)
    if target is None:
        abort(404)
    content_url = target.content.url if target.content else None
    back = safe_next_url(request.values.get("next"), content_url or url_for("forums.index"))
    form = FlagForm()
    status = 200
    if request.method == "POST" and target.existing is None:
        if not form.validate_on_submit():
            status = 400
        elif not FLAG_LIMIT.allows(current_user.id):
            form.form_errors.append(TOO_MANY_FLAGS)
            status = 429
        else:
            try:
                services.flag(current_user, kind, target_id, form.reason.data, form.note.data or "")
            except services.ModerationError as refusal:
                show_on_form(form, refusal)
                status = 400
            else:
                FLAG_LIMIT.count(current_user.id)
                return redirect(url_for("moderation.flag", kind=kind, target_id=target_id,
                                        next=back if back != content_url else None))
    return render_template("moderation/flag.html", target=target, form=form, back=back,
                           own=target.author_id == current_user.id), status


# Members -----------------------------------------------------------------------------------------------------------

def _member_or_404(member_id: int):
    return services.find_member(member_id) or abort(404)


def _render_member(member, action_form=None, lift_form=None, note_form=None, status=200, failed=None):
    return render_template(
        "moderation/member.html", member=member, history=services.member_history(member.id),
        notes=services.member_notes(member.id), action_form=action_form or MemberActionForm(formdata=None),
        lift_form=lift_form or LiftForm(formdata=None, prefix="lift"), note_form=note_form or NoteForm(formdata=None),
        form=failed), status


@bp.route("/moderation/members/<int:member_id>")
@moderator_required
def member(member_id):
    """A member's standing, what moderators did about them, and the moderators' notes."""
    return _render_member(_member_or_404(member_id))


def _member_form_sent(member_id: int, form, form_name: str, save, done: str, anchor: str | None = None):
    """The member page's three forms (act, lift, note) alike: check, save, say what happened; or show the page
    again with the form's words and the reason it was refused."""
    member = _member_or_404(member_id)
    if form.validate_on_submit():
        try:
            save(member)
        except services.ModerationError as refusal:
            show_on_form(form, refusal)
        else:
            flash(done.format(name=member.display_name), "success")
            return redirect(url_for("moderation.member", member_id=member.id, _anchor=anchor))
    return _render_member(member, **{form_name: form}, status=400, failed=form)


@bp.route("/moderation/members/<int:member_id>/act", methods=["POST"])
@moderator_required
def act_on_member(member_id):
    form = MemberActionForm()
    return _member_form_sent(
        member_id, form, "action_form",
        lambda member: services.act_on_member(current_user, member, form.action.data, form.reason.data,
                                              form.days.data),
        "Done. {name} has been told, and it is recorded in the audit log.")


@bp.route("/moderation/members/<int:member_id>/lift", methods=["POST"])
@moderator_required
def lift(member_id):
    form = LiftForm(prefix="lift")
    return _member_form_sent(member_id, form, "lift_form",
                             lambda member: services.lift_restriction(current_user, member, form.reason.data),
                             "Done. {name} can take part again, and has been told.")


@bp.route("/moderation/members/<int:member_id>/notes", methods=["POST"])
@moderator_required
def add_note(member_id):
    form = NoteForm()
    return _member_form_sent(member_id, form, "note_form",
                             lambda member: services.add_member_note(current_user, member, form.text.data),
                             "Your note is saved. Only moderators see it.", anchor="notes")


# A member's own standing and appeals ---------------------------------------------------------------------------

@bp.route("/standing")
@login_required
@open_when_suspended
def standing():
    """A member's own notices from moderators: why, until when, and a way to appeal each decision once."""
    return render_template("moderation/standing.html", notices=services.notices_for(current_user))


@bp.route("/standing/<int:entry_id>/appeal", methods=["GET", "POST"])
@login_required
@open_when_suspended
def appeal(entry_id):
    """Ask, once, for a decision to be looked at again by another moderator."""
    notice = services.notice_for(current_user, entry_id)
    if notice is None or notice.entry.action not in services.APPEALABLE:
        abort(404)
    form = AppealForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.appeal(current_user, entry_id, form.text.data)
            except services.ModerationError as refusal:
                show_on_form(form, refusal)
            else:
                flash("Thank you. A moderator who was not part of the decision will look at it, and you will see "
                      "the outcome here.", "success")
                return redirect(url_for("moderation.standing", _anchor=f"notice-{entry_id}"))
        status = 400
    return render_template("moderation/appeal.html", notice=notice, form=form), status


# Admins: the audit log, watched words and settings -----------------------------------------------------------

def _day_start(day, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone))


@bp.route("/moderation/audit")
@admin_required
def audit():
    """Every moderator action and role change: who, what, about whom, why, when; filtered, 50 a page."""
    form = AuditFilterForm(request.args)
    form.actor.choices = [SelectChoice("", "Anyone")] + [SelectChoice(str(user_id), name)
                                                         for user_id, name in services.audit_actors()]
    form.action.choices = [SelectChoice("", "Anything")] + [SelectChoice(action, services.action_words(action))
                                                             for action in services.audit_actions()]
    form.target_type.choices = [SelectChoice("", "Any kind")] + [SelectChoice(kind, services.kind_label(kind))
                                                                 for kind in services.audit_target_types()]
    filters = {}
    status = 200
    if request.args and not form.validate():
        status = 400
    member = None
    if status == 200:
        zone = reader_zone()
        if form.member.data:
            member = services.find_member_by_email(form.member.data)
            if member is None:
                form.member.errors = [*form.member.errors, "There is no account with that email address. Check "
                                                           "it, or leave it empty to see everyone."]
                status = 400
        if status == 200:
            filters = {
                "actor_id": int(form.actor.data) if form.actor.data else None,
                "action": form.action.data or "",
                "subject_id": member.id if member else None,
                "target_type": form.target_type.data or "",
                "since": _day_start(form.since.data, zone) if form.since.data else None,
                "until": _day_start(form.until.data + timedelta(days=1), zone) if form.until.data else None,
            }
    page = services.audit_log(**filters, page=request.args.get("page", 1, type=int)) if status == 200 else None
    kept = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template("moderation/audit.html", form=form, entries=page, kept=kept), status


@bp.route("/moderation/watched-words", methods=["GET", "POST"])
@admin_required
def watched_words():
    """Words that block, hold or flag a post, and the built-in crisis wording (never blocked)."""
    form = WatchedWordForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                word = services.add_watched_word(current_user, form.phrase.data or "", form.action.data)
            except services.ModerationError as refusal:
                show_on_form(form, refusal)
            else:
                flash(f"“{word.phrase}” is now watched.", "success")
                return redirect(url_for("moderation.watched_words"))
        status = 400
    return render_template("moderation/watched_words.html", form=form, words=services.watched_words(),
                           actions=WATCHED_WORD_ACTIONS, crisis_phrases=services.CRISIS_PHRASES,
                           remove_form=ButtonForm(formdata=None)), status


@bp.route("/moderation/watched-words/<int:word_id>/remove", methods=["POST"])
@admin_required
def remove_watched_word(word_id):
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.remove_watched_word(current_user, word_id)
    flash("The word is no longer watched.", "success")
    return redirect(url_for("moderation.watched_words"))


@bp.route("/moderation/settings", methods=["GET", "POST"])
@admin_required
def settings():
    """How many of a new member's first posts are held, and how many members' flags hide something."""
    current = {key: services.setting(key) for key in services.SETTINGS}
    form = SettingsForm(data=current) if request.method == "GET" else SettingsForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                for key in services.SETTINGS:
                    services.set_setting(current_user, key, getattr(form, key).data)
            except services.ModerationError as refusal:
                show_on_form(form, refusal)
            else:
                flash("Moderation settings saved.", "success")
                return redirect(url_for("moderation.settings"))
        status = 400
    return render_template("moderation/settings.html", form=form), status
