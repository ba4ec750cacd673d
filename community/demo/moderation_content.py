"""The demo's moderation queue: a newcomer's first post waiting for approval, a post a member flagged, and a
watched word, made through the services, so a moderator logging in to the demo finds the queue at work. Safe to
run twice: what is already there is left alone."""

import secrets
from datetime import timedelta

from community.accounts import services as accounts
from community.extensions import utcnow
from community.forums import services as forums
from community.membership import services as membership
from community.moderation import services as moderation
from community.pages import services as pages

# A persona, not a demo log-in: a member who joined today (a long random password nobody knows).
NEWCOMER_EMAIL, NEWCOMER_NAME = "riley@demo.test", "Riley"
HELD_TITLE = "New here – is it normal to feel worse in the afternoon?"
HELD_BODY = ("Hello. I had a lumbar puncture three weeks ago and the headache has not gone away. It is fine when I "
             "wake up and much worse by the afternoon. Is that the pattern other people have? I am seeing my GP on "
             "Friday and would like to know what to ask.")
FLAGGED_TITLE = "My second blood patch: what helped in the first week"
FLAG_NOTE = ("Not sure this is against the rules, but parts of it read like medical advice. Could a moderator have a "
             "look?")
WATCHED = ("miracle cure", "hold")


def seed_moderation() -> None:
    admin = accounts.find_user_by_email("admin@demo.test")
    if not any(word.phrase == WATCHED[0] for word in moderation.watched_words()):
        moderation.add_watched_word(admin, *WATCHED)
    riley = accounts.find_user_by_email(NEWCOMER_EMAIL)
    if riley is None:
        riley = accounts.create_verified_user(NEWCOMER_EMAIL, NEWCOMER_NAME, secrets.token_urlsafe(24))
        membership.apply_subscription_state(riley, "active", utcnow() + timedelta(days=365),
                                            "Demo data: a member who joined today")
        pages.accept_guidelines(riley)
        category = next(c for c in forums.all_categories() if c.name == "Introductions")
        # A newcomer's first posts wait for a moderator (moderation's "held_first_posts" setting).
        forums.create_thread(riley, category, HELD_TITLE, HELD_BODY)
        flagged = _first_post_titled(admin, FLAGGED_TITLE)
        if flagged is not None:
            moderation.flag(riley, forums.REVIEW_KIND, flagged, "misinformation", FLAG_NOTE)


def _first_post_titled(reader, title: str) -> int | None:
    for category in forums.all_categories():
        for row in forums.category_threads(reader, category).rows:
            if row.thread.title == title:
                return forums.thread_page(reader, row.thread.id).posts[0].id
    return None
