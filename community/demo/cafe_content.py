"""The demo's Leaky Café: an extra session open from now for three hours (unless a café is open already), with a
few gentle messages, so a newcomer running `make run` on any day can try the room. Made through the café's own
services (the schedule, then sending as each demo account), so the rules are the real ones. Safe to run twice: an
open café is reused, and each message carries a token of its own, so sending it again saves nothing new."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from community.accounts import services as accounts
from community.cafe import schedule
from community.cafe import services as cafe
from community.cafe.models import CafeMessage
from community.extensions import db, utcnow

DEMO_HOURS = 3
NOTE = "A demo session, open now so you can try the room."
# (author's email, words, index of the message it replies to or None); "break" is the "taking a break" note.
MESSAGES = [
    ("moderator@demo.test", "Hello, everyone, and welcome to the café. Get comfortable: lying down is very welcome "
                            "here. You can just read if you like.", None),
    ("member@demo.test", "Hello all. Flat on the sofa with a cup of tea. Day three after my patch and a little "
                         "better than yesterday.", None),
    ("moderator@demo.test", "Lovely to see you, Sam. Go gently: nobody needs to keep up with the chat.", 1),
    ("admin@demo.test", "Hi Sam, glad today is easier. A tip from me: I turn the phone brightness right down in "
                        "the evening and it helps my head.", 1),
    ("member@demo.test", "break", None),
]


def seed_cafe(now: datetime | None = None) -> None:
    now = now or utcnow()
    session = schedule.open_session(now)
    if session is None:
        session = _open_an_extra_session(now)
        if session is None:
            return
    if db.session.scalar(select(func.count()).select_from(CafeMessage).where(CafeMessage.session_id == session.id)):
        return  # the café already has its conversation (from an earlier seed, or real demo visitors)
    sent: list[int] = []
    for number, (email, words, replying_to) in enumerate(MESSAGES):
        author = accounts.find_user_by_email(email)
        token = f"demo-{session.id}-{number}"
        if words == "break":
            result = cafe.take_a_break(author, session, token=token)
        else:
            result = cafe.send(author, session, words, token=token,
                               reply_to=sent[replying_to] if replying_to is not None else None)
        sent.append(result.message["id"])


def _open_an_extra_session(now: datetime):
    """An extra session from this minute for three hours (ending sooner where the next café starts: cafés never
    overlap)."""
    starts = now.replace(second=0, microsecond=0)
    ends = starts + timedelta(hours=DEMO_HOURS)
    for later in schedule.cafes_between(schedule.london_today(now), schedule.london_today(ends)):
        if not later.cancelled and later.starts_at > now:
            ends = min(ends, later.starts_at)
    if ends <= starts:
        return None
    moderator = accounts.find_user_by_email("moderator@demo.test")
    schedule.add_session(moderator, starts, ends, NOTE, "Morgan")
    return schedule.open_session(now)
