"""Notification tests: a newcomer's first forum posts go up at once here (moderation's holding of them is tested in
tests/moderation/test_forum_posts.py)."""

from tests.forums.conftest import posts_go_up_at_once  # noqa: F401  (an autouse fixture)
