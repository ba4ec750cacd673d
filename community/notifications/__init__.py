"""In-app notifications and email preferences, used by every feature (mentions, replies, quotes...)."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, cli_group="notifications")

from . import routes  # noqa: E402,F401


@bp.record_once
def _register_with_privacy(state) -> None:
    """Each app, when it starts, tells the data export what notifications keep about a member."""
    from community.privacy.registry import PersonalData, register

    from . import privacy

    register(PersonalData(
        "notifications", "Notifications",
        frozenset({"notification.user_id", "notification.actor_id", "notification_settings.user_id"}),
        privacy.export_member_data,
        "What the site told you about (replies, mentions, moderators’ decisions) and how you chose to hear by "
        "email, so you do not miss what matters to you.",
        erase=privacy.erase_member_data))
