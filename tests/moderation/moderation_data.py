"""Moderation test data, made through the services, on real forum posts (the forums register "forum_post" with
moderation): a moderator's decision changes what each person sees on the thread page."""

import re

from community.forums import services as forums
from community.moderation import services as moderation
from tests.conftest import csrf_token_from
from tests.factories import make_user
from tests.forums.forum_data import agreed_member, make_category, make_thread

KIND = "forum_post"


def post_everything_at_once() -> None:
    """Hold no newcomer's first posts, so a test's posts are up at once (tests of held posts turn it back on)."""
    moderation.set_setting(None, "held_first_posts", 0)


# People and content -------------------------------------------------------------------------------------------

def moderator(**kwargs):
    return make_user(role="moderator", **kwargs)


def a_category():
    """The test's everyday category (made the first time)."""
    existing = [category for category in forums.all_categories() if not category.moderators_only]
    return existing[0] if existing else make_category()


def a_post(author=None, body="Hello everyone, lying flat today.", category=None):
    """A visible forum post by `author` (a member who agreed to the guidelines, by default)."""
    author = author or agreed_member(display_name="Sam")
    return make_thread(author, category or a_category(), "Lying flat", body)


def flag(flagger, post, reason="unkind", note=""):
    return moderation.flag(flagger, KIND, post.id, reason, note)


def open_item(post):
    return moderation._find_open_item(KIND, post.id)


SAFETY_SUBJECT = "Safety alert: please check the moderation queue"


def safety_emails(outbox, address: str) -> list:
    return [message for message in outbox.to(address) if message["Subject"] == SAFETY_SUBJECT]


# Forms on pages ------------------------------------------------------------------------------------------------

VERSION = re.compile(r'name="version" value="(\d+)"')


def version_on(html: str) -> str:
    match = VERSION.search(html)
    assert match, "the page has no decision form"
    return match.group(1)


def decide(client, item_id: int, decision: str, reason: str = "", page_html: str | None = None, **extra):
    """Send the decision form of an item's page, as shown (its version and CSRF token), or as shown in
    `page_html` (a page opened earlier, as a second moderator would have it)."""
    html = page_html or client.get(f"/moderation/items/{item_id}").text
    data = {"version": version_on(html), "decision": decision, "reason": reason,
            "csrf_token": csrf_token_from(html), **extra}
    return client.post(f"/moderation/items/{item_id}/decide", data=data)


def decide_appeal(client, item_id: int, outcome: str, reason: str = "It was looked at again."):
    html = client.get(f"/moderation/items/{item_id}").text
    return client.post(f"/moderation/items/{item_id}/appeal", data={
        "version": version_on(html), "outcome": outcome, "reason": reason, "csrf_token": csrf_token_from(html)})
