"""Stories: members write about their leak, choose who may read each story, and may publish it for awareness
with consent they can withdraw. `routes` is the reading side (/stories), `writing` the author's pages (/my/stories)."""

from flask import Blueprint

bp = Blueprint("stories", __name__)

from . import models, routes, writing  # noqa: E402,F401


@bp.record_once
def _register_with_moderation(state) -> None:
    """Each app, when it starts, tells moderation about stories (registering again replaces the kind)."""
    from . import kinds

    kinds.register()


@bp.record_once
def _register_with_privacy(state) -> None:
    """Each app, when it starts, tells the data export what stories keep about a member."""
    from community.privacy.registry import PersonalData, register

    from . import privacy

    register(PersonalData(
        "stories", "Your stories and consent to publish them",
        frozenset({"story.author_id", "story_consent.user_id"}),
        privacy.export_member_data,
        "Each story you wrote, who may read it, and the record of your consent to publish it: we keep the consent "
        "record to show you agreed, and when you withdrew it.",
        erase=privacy.erase_member_data))
