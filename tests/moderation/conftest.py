"""Fixtures for moderation's tests (moderation_data.py has the helpers)."""

import pytest

from tests.moderation.moderation_data import post_everything_at_once


@pytest.fixture
def posts_go_up_at_once(app):
    """No newcomer's first posts are held, so a test's posts are up at once (tests of held posts turn it back
    on). Modules use it with `pytestmark = pytest.mark.usefixtures("posts_go_up_at_once")`."""
    post_everything_at_once()
