"""The Leaky Café: the weekly schedule and its calendar feed, and the members' live chat room (Socket.IO)."""

from flask import Blueprint
from flask_login import user_logged_out
from sqlalchemy import inspect

bp = Blueprint("cafe", __name__, cli_group="cafe")

from . import cli, events, kinds, realtime, room, routes, services  # noqa: E402,F401  (views, events, commands)

LOGGED_OUT = "You logged out, so you have left the café room."
ACCOUNT_RESTRICTED = "A moderator has restricted your account, so you have left the café room."


def _close_sockets_on_logout(app, user) -> None:
    """The log-out's session row is already deleted (and the objects expired): read ids from their identities."""
    login_session = getattr(user, "current_session", None)
    if user is None or login_session is None:
        return
    user_identity, session_identity = inspect(user).identity, inspect(login_session).identity
    if user_identity and session_identity:
        services.close_sockets(user_identity[0], LOGGED_OUT, login_session_id=session_identity[0])


def _after_restriction(member_id: int) -> None:
    """Suspended or banned: out of the room at once. Silenced: stays to read, and the page stops offering to write."""
    from community.accounts.models import User
    from community.extensions import db
    from community.permissions import is_suspended

    member = db.session.get(User, member_id)
    if member is None or is_suspended(member):
        services.close_sockets(member_id, ACCOUNT_RESTRICTED)
    else:
        realtime.emit("restricted", {"muted": True}, realtime.member_room(member_id))


user_logged_out.connect(_close_sockets_on_logout, weak=False)


@bp.record_once
def _start(state) -> None:
    """Each app: the live connection, café messages known to moderation, and restricted members sent out."""
    from community.moderation.services import on_member_restricted

    realtime.init_app(state.app)
    kinds.register()
    on_member_restricted(_after_restriction)


@bp.record_once
def _register_with_privacy(state) -> None:
    """Each app, when it starts, tells the data export what the café keeps about a member."""
    from community.privacy.registry import PersonalData, register

    from . import privacy

    register(PersonalData(
        "leaky_cafe", "Leaky Café",
        frozenset({"cafe_message.author_id", "cafe_message.hidden_by_id", "cafe_presence.user_id",
                   "cafe_reaction.user_id", "cafe_reminder.user_id", "cafe_room_restriction.user_id",
                   "cafe_room_restriction.by_id", "cafe_session.summary_by_id"}),
        privacy.export_member_data,
        "Your chat messages and reactions in the café, your reminder emails, and any time a host muted you: "
        "messages are kept for 30 days so moderators can act on a report.",
        erase=privacy.erase_member_data, purge=privacy.purge))
