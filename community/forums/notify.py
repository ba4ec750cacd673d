"""After a post is published (committed): mentions, quotes and watchers are notified. Filled in with notifications."""


def post_published(post_id: int, quoted_post_id: int | None = None) -> None:
    """Called once a new post is committed and visible."""
