"""Forums: categories, threads and posts for members, with reactions, read state, watching and search."""

from flask import Blueprint

bp = Blueprint("forums", __name__, cli_group="forums")

from . import cli, kinds, notify, routes  # noqa: E402,F401  (registers the views and `flask forums` commands on bp)


@bp.record_once
def _register_with_moderation(state) -> None:
    """Each app, when it starts, tells moderation about forum posts (registering again replaces the kind)."""
    kinds.register(after_published=notify.post_published, link=notify.post_path)
