"""Forum test data, made through the forum services (as tests/factories.py does for accounts)."""

from community.accounts.models import User
from community.forums import services as forums
from community.pages import services as pages
from tests.factories import make_member, make_user


def make_category(name: str = "Living with a leak", moderators_only: bool = False, admin: User | None = None):
    admin = admin or make_user(role="admin", two_factor_on=False)
    return forums.create_category(admin, name, f"About {name.lower()}.", moderators_only)


def make_thread(author: User, category, title: str = "Lying flat and still tired", body: str = "Hello everyone.",
                replies: int = 0, reply_author: User | None = None):
    """A thread with its first post and `replies` replies; returns the first post."""
    first = forums.create_thread(author, category, title, body)
    thread = forums.get_thread(author, first.thread_id)
    for number in range(replies):
        forums.create_post(reply_author or author, thread, f"Reply number {number + 1}. Thinking of you.")
    return first


def agreed_member(**kwargs) -> User:
    """A member who has agreed to the community guidelines (so they may post)."""
    member = make_member(**kwargs)
    pages.accept_guidelines(member)
    return member
