"""Forums: categories, threads and posts for members, with reactions, read state, watching and search."""

from flask import Blueprint

bp = Blueprint("forums", __name__, cli_group="forums")

from . import cli, kinds, notify, routes  # noqa: E402,F401  (registers the views and `flask forums` commands on bp)


@bp.record_once
def _register_with_moderation(state) -> None:
    """Each app, when it starts, tells moderation about forum posts (registering again replaces the kind)."""
    kinds.register(after_published=notify.post_published, link=notify.post_path)


@bp.record_once
def _register_with_privacy(state) -> None:
    """Each app, when it starts, tells the data export what the forums keep about a member."""
    from community.privacy.registry import PersonalData, register

    from . import privacy

    register(PersonalData(
        "forum_posts", "Forum posts",
        frozenset({"post.author_id", "post.hidden_by_id", "post_revision.edited_by_id", "thread.author_id",
                   "thread.last_post_author_id"}),
        privacy.export_posts,
        "Every thread you started and post you wrote, with earlier versions of posts you edited: they are how "
        "you talk with other members, kept until you delete them.",
        erase=privacy.erase_posts))
    register(PersonalData(
        "forum_activity", "Forum reactions, watches, bookmarks and reading",
        frozenset({"reaction.user_id", "watch.user_id", "bookmark.user_id", "thread_read.user_id"}),
        privacy.export_activity,
        "The reactions you gave, what you follow and saved, and how far you have read each thread, so the forums "
        "can show you what is new."))
