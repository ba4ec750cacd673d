"""The café room's pages (HTTP): the room itself, and the plain form that sends a message without scripts.

The room page is complete on its own: the session's messages so far are rendered here, and its form posts a
message (or "taking a break") back to this module, so the room works with scripts off or when the live connection
cannot be made. static/js/cafe.js then takes over the same form and list over Socket.IO (community/cafe/events.py).
Both ways go through services.send, so the rules and the broadcast are the same."""

import secrets

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from community.dates import reader_zone
from community.moderation.services import show_crisis_support
from community.permissions import member_required
from community.refusals import show_on_form
from community.security import allow_in_csp

from . import bp, schedule, services
from .forms import BreakForm, RoomMessageForm

CAFE_PAGE = "/cafe"
# The page shows the latest messages of a long session (the live script fetches the rest), so it stays light on a
# phone: HTML, CSS and scripts together within 120 KB. "Show earlier messages" gives them all without scripts.
LATEST_SHOWN = 25
SOCKET_CLIENT = "vendor/socket.io-4.8.4.min.js"


def _new_token() -> str:
    return secrets.token_urlsafe(16)


def _reply_id(text) -> int | None:
    try:
        value = int(text)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _closed_page(kept_words: str = ""):
    """The room is shut: when it next opens, kindly, in the reader's own time zone (and any words not sent)."""
    return render_template("cafe/room_closed.html", cafe=schedule.next_cafe(), removed=False,
                           kept_words=kept_words, cafe_page=CAFE_PAGE)


def _removed_page(kept_words: str = ""):
    return render_template("cafe/room_closed.html", cafe=schedule.next_cafe(), removed=True,
                           message=services.REMOVED, kept_words=kept_words, cafe_page=CAFE_PAGE), 403


def _restriction(session) -> str | None:
    """The reader's mute or removal in this session: read once a request, for the entry check and the page."""
    return services.room_restriction(session, current_user) if session is not None else None


def _room_page(session, form: RoomMessageForm, restriction: str | None, status: int = 200):
    """The open room: its topic, who is here, this session's messages so far, and the writing form."""
    allow_in_csp("script-src", "'self'")
    allow_in_csp("connect-src", "'self'")
    zone = reader_zone()
    reply_id = _reply_id(form.reply_to.data)
    room = services.room_page(current_user._get_current_object(), session, restriction, zone,
                              latest=None if request.args.get("all") else LATEST_SHOWN, reply_to=reply_id)
    if reply_id is not None and room.replying is None:
        form.reply_to.data = ""
    if not form.token.data:
        form.token.data = _new_token()
    return render_template(
        "cafe/room.html", room=room, form=form, break_form=BreakForm(formdata=None, token=_new_token()), zone=zone,
        body_max=services.BODY_MAX, slow_mode_choices=services.SLOW_MODE_CHOICES, cafe_page=CAFE_PAGE,
        socket_client=SOCKET_CLIENT), status


def _refused_entry(session, restriction: str | None, kept_words: str = ""):
    """The page for someone the room will not take now (closed, or removed by a host), or None to go on."""
    refusal = services.may_enter(current_user, session, restriction)
    if refusal == services.REMOVED:
        return _removed_page(kept_words)
    if refusal:
        return _closed_page(kept_words)
    return None


@bp.get("/cafe/room")
@member_required
def room():
    """The café room when it is open (from 15 minutes before the start); otherwise when it next opens."""
    session = schedule.open_session()
    restriction = _restriction(session)
    refused = _refused_entry(session, restriction)
    if refused:
        return refused
    form = RoomMessageForm(formdata=None, reply_to=request.args.get("reply_to", ""))
    return _room_page(session, form, restriction)


@bp.post("/cafe/room/messages")
@member_required
def send_message():
    """The plain form's message (scripts off, or no live connection). Saved once per token; on a refusal the room
    comes back with the words in the box and the reason; words suggesting a crisis bring the help panel."""
    form = RoomMessageForm()
    words = form.body.data or ""
    session = schedule.open_session()
    restriction = _restriction(session)
    refused = _refused_entry(session, restriction, words)
    if refused:
        return refused
    if not form.validate_on_submit():
        # Only the CSRF token can fail here (an old page after the session changed): say so, keep the words.
        form.form_errors.append("This page was open for a long time, so please press Send again.")
        form.token.data = form.token.data or _new_token()
        return _room_page(session, form, restriction, 400)
    try:
        sent = services.send(current_user, session, words, reply_to=form.reply_to.data or None,
                             token=form.token.data or None)
    except services.CafeError as error:
        show_on_form(form, error)
        return _room_page(session, form, restriction)
    if sent.crisis:
        show_crisis_support()
        return redirect(url_for("cafe.room", _anchor="help-now"))
    return redirect(url_for("cafe.room", _anchor="latest"))


@bp.post("/cafe/room/break")
@member_required
def take_a_break():
    """The plain form's "taking a break" note."""
    form = BreakForm()
    session = schedule.open_session()
    restriction = _restriction(session)
    refused = _refused_entry(session, restriction)
    if refused:
        return refused
    if form.validate_on_submit():
        try:
            services.take_a_break(current_user, session, token=form.token.data or None)
        except services.CafeError as error:
            room_form = RoomMessageForm(formdata=None)
            room_form.form_errors.append(error.message)
            return _room_page(session, room_form, restriction)
    return redirect(url_for("cafe.room", _anchor="latest"))
