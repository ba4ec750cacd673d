"""Forum data for the notification tests, made through the forum's own services (as the pages would)."""

from sqlalchemy import select

from community.extensions import db
from community.forums import notify
from community.forums import services as forums
from community.forums.models import Watch
from community.pages import services as pages
from tests.factories import make_member, make_user


def make_category(name: str = "Living with a leak", moderators_only: bool = False):
    admin = make_user(role="admin", display_name="Admin Person")
    return forums.create_category(admin, name, "", moderators_only)


def start_thread(author, category, title: str = "Blood patches", body: str = "How did yours go?"):
    """A new thread, published as the page does: created, then post_published. Returns its first post."""
    post = forums.create_thread(author, category, title, body, allow_contact_details=True)
    if post.state == "visible":
        notify.post_published(post.id)
    return post


def reply(author, thread, body: str, quoted_post=None):
    post = forums.create_post(author, thread, body, quoted_post_id=quoted_post.id if quoted_post else None,
                              allow_contact_details=True)
    if post.state == "visible":
        notify.post_published(post.id, quoted_post.id if quoted_post else None)
    return post


def member(name: str, **kwargs):
    """A paying member who has agreed to the community guidelines (so the writing pages open for them)."""
    person = make_member(display_name=name, **kwargs)
    pages.accept_guidelines(person)
    return person


def watches(person, thread_id: int) -> bool:
    """Whether `person` watches the thread (is told of every reply), read from their watch rows."""
    return db.session.scalar(select(Watch.id).where(Watch.user_id == person.id, Watch.thread_id == thread_id)
                             .limit(1)) is not None
