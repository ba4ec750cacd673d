"""Moderation: flags, the one review queue, held posts, watched words, crisis alerts, decisions about content and
members, appeals, and the audit log. Features register their kinds of content (registry.py); moderation imports
no feature."""

from flask import Blueprint

bp = Blueprint("moderation", __name__, cli_group="moderation")

from . import cli, routes  # noqa: E402,F401  (registers the views and `flask moderation` commands on bp)


@bp.record_once
def _register_with_privacy(state) -> None:
    """Each app, when it starts, tells the data export what moderation keeps about a member."""
    from community.privacy.registry import PersonalData, register

    from . import privacy

    register(PersonalData(
        "moderation", "Moderation",
        frozenset({"audit_entry.actor_id", "audit_entry.subject_id", "moderation_appeal.appellant_id",
                   "moderation_appeal.decided_by_id", "moderation_flag.flagger_id", "moderation_item.closed_by_id",
                   "moderation_item.subject_id", "moderation_member_note.author_id",
                   "moderation_member_note.member_id", "moderation_on_duty.user_id",
                   "moderation_watched_word.created_by_id"}),
        privacy.export_member_data,
        "Moderators’ decisions about you or your words and your appeals, notes moderators wrote about you, flags "
        "you made, and what you did as staff: kept to keep the community safe and fair. It never says who "
        "flagged you or which moderator acted.",
        erase=privacy.erase_member_data))
