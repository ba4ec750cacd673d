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
