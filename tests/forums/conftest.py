"""Forum tests: a newcomer's first posts go up at once here, so each test's people can post and be read without a
moderator. Holding them is moderation's rule, tested with the default in tests/moderation/test_forum_posts.py."""

import pytest


@pytest.fixture(autouse=True)
def posts_go_up_at_once(request):
    """An admin's setting, saved through moderation's service: hold none of a newcomer's first posts."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app")
        from tests.moderation.moderation_data import post_everything_at_once
        post_everything_at_once()
