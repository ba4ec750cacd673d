"""The privacy tests' member with something in every part of the site."""

import pytest
from sqlalchemy import select

from community.accounts.models import User
from community.cafe import services as cafe
from community.cafe.models import CafeSession
from community.extensions import db
from community.forums import services as forums
from community.forums.models import Post
from community.moderation import services as moderation
from tests.cafe.processes import open_session_covering_now
from tests.factories import make_member, turn_on_two_factor
from tests.site_tour import make_people

OTHERS_WORDS = "Words another member wrote in the café"
FLAGGERS_NOTE = "A flagger's private note about this post"


def _rename(user: User, name: str) -> None:
    user.display_name = name
    db.session.commit()


@pytest.fixture
def member_with_everything(app, login):
    """make_people's member (a thread, an edited post, a hidden reply with its notice, a public story with consent,
    a letter, a diary entry) with two-factor on and logged in, who also reacted to the moderator's post, flagged
    it, said something in the café and reacted to another member's message there; a moderator wrote a note about
    them and a member flagged them with a note. Staff have names of their own, to look for."""
    people = make_people()
    member, moderator, admin = people["member"], people["moderator"], people["admin"]
    _rename(member, "Mel Member")
    _rename(moderator, "Morgan Moderator")
    _rename(admin, "Ada Admin")
    turn_on_two_factor(member)
    welcome = db.session.scalar(select(Post).where(Post.author_id == moderator.id))
    forums.toggle_reaction(member, forums.get_post(member, welcome.id), "thanks")
    moderation.flag(member, "forum_post", welcome.id, "other", "My own worry about this post.")
    other = make_member(display_name="Olive Other")
    moderation.flag(other, "member", member.id, "other", FLAGGERS_NOTE)
    moderation.add_member_note(moderator, member, "Prefers gentle reminders.")
    room = db.session.get(CafeSession, open_session_covering_now())
    theirs = cafe.send(other, room, OTHERS_WORDS)
    cafe.send(member, room, "My café words, lying flat tonight.")
    cafe.react(member, room, theirs.message["id"], "hug")
    assert login(member).status_code == 302
    return {**people, "other": other}


