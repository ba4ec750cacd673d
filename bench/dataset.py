"""The issue 14 large data set: 10,000 members, 100,000 forum posts and 5,000 stories, written fast (bulk inserts
through SQLAlchemy Core) but as the app itself would have written them.

    .venv/bin/python bench/dataset.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_large
    .venv/bin/python bench/dataset.py --database-url sqlite:////tmp/bench_large.db --members 500 --posts 5000

The command creates the schema with the migrations (`flask db upgrade`, so every index they make exists), then
seeds. In code, `seed_large()` seeds the database of the current app context (tests: a `create_all` schema).

What "as the app would have written it" means here, and where each rule comes from:
- every post's and story's HTML is rendered by the product's own renderers (forums.render_post,
  stories.render_story), once per distinct body;
- forum search needs nothing: the FTS5 table (SQLite) is kept by triggers, the tsvector (PostgreSQL) is a
  generated column, both made by the migration (community/forums/search.py);
- threads' and categories' counters (reply_count, last_visible_number, last_post_*, thread_count, post_count)
  follow forums.services: only visible posts count, placeholders (hidden, deleted) still count as seen;
- each writer gets the read mark and the watch on their thread that posting gives them (_upsert_read,
  notify._ensure_watching); posts and stories waiting for a moderator have their open queue item;
- members: one argon2id hash (of BENCH_PASSWORD) shared by all, a verified address, a membership with its
  history row, the guidelines agreed; public stories carry the consent record their publication needs.
Left out: notifications, audit entries for moderators' past actions, café history, diaries and letters.

Accounts: reader@bench.test (a paying member who has not posted or read anything yet), moderator1-4@bench.test,
admin@bench.test, member<n>@bench.test; all with BENCH_PASSWORD. The thread of exactly 50 visible posts is
titled LONG_THREAD_TITLE (`long_thread_id()` finds it).
"""

import argparse
import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from community.accounts.models import User, new_credential_stamp  # noqa: E402
from community.accounts.passwords import hash_password  # noqa: E402
from community.extensions import db, utcnow  # noqa: E402
from community.forums.models import Category, Post, Reaction, Thread, ThreadRead, Watch  # noqa: E402
from community.forums.services import render_post  # noqa: E402
from community.membership.models import Membership, MembershipChange, StripeCustomer  # noqa: E402
from community.moderation.models import QueueItem  # noqa: E402
from community.pages.models import GuidelinesAcceptance  # noqa: E402
from community.pages.services import GUIDELINES_VERSION, seed_pages  # noqa: E402
from community.stories.models import ATTRIBUTIONS, Story, StoryConsent  # noqa: E402
from community.stories.services import CONSENT_VERSION, HELD_BECAUSE, render_story, summary_of  # noqa: E402

BENCH_PASSWORD = "bench-large-data-set"  # a throwaway database's shared password, printed by the command
READER_EMAIL = "reader@bench.test"
LONG_THREAD_TITLE = "Load test: fifty posts"
LONG_THREAD_POSTS = 50
CHUNK = 5_000
YEARS = 3  # how far back the data set's history goes

CATEGORIES = [
    ("introductions", "Introductions", "Say hello, and tell us as much or as little of your story as you like."),
    ("living-with-a-leak", "Living with a leak", "Day to day life: pacing, work, family, sleep."),
    ("treatment", "Treatment and blood patches", "Patches, surgery, scans and what to ask your team."),
    ("getting-diagnosed", "Getting diagnosed", "Being believed, tests, referrals and second opinions."),
    ("carers", "Carers and family", "For the people who look after someone with a leak."),
    ("good-days", "Good days", "Small wins and things that made you smile."),
    ("off-topic", "Off topic", "Books, telly, pets and anything else."),
]

FIRST_NAMES = ["Sam", "Alex", "Jo", "Priya", "Morgan", "Chris", "Aisha", "Tom", "Hannah", "Ravi", "Beth", "Owen",
               "Fatima", "Lewis", "Niamh", "Grace", "Dev", "Rosa", "Ellie", "Kwame", "Ruth", "Imran", "Megan", "Ian"]
LAST_NAMES = ["Lee", "Patel", "Jones", "Smith", "Khan", "Evans", "Brown", "O'Neill", "Taylor", "Wilson", "Hughes",
              "Ahmed", "Davies", "Roberts", "Clarke", "Walsh", "Murray", "Singh", "Price", "Kaur"]
TIME_ZONES = ["Europe/London"] * 18 + ["Europe/Dublin", "America/New_York"]

TOPICS = ["blood patch", "pacing", "caffeine", "the MRI", "going back to work", "sleeping flat", "my GP",
          "the neurologist", "an epidural", "a lumbar puncture", "tinnitus", "the school run", "brain fog",
          "travelling", "a second patch", "fluids", "the CT myelogram", "benefits forms", "physio", "Christmas"]
TITLE_PATTERNS = ["Questions about {}", "Has anyone tried {}?", "{}: what helped you", "A bad week with {}",
                  "Tips for {}", "Update after {}", "Worried about {}", "Good news about {}", "{} and headaches",
                  "How long before {} helped?"]

PARAGRAPHS = [
    "I had my lumbar puncture in March and the headache started two days later. Lying **flat** helps within "
    "twenty minutes; standing brings it back. My GP said to drink more water and wait.",
    "Things that helped me in the first weeks:\n\n- caffeine in the morning (ask your doctor first)\n"
    "- a reclining chair so I could eat with the family\n- pacing: ten minutes up, twenty down",
    "The neurologist finally listened when I brought the patient checklist from the lounge. There is a good "
    "explanation on the [NHS page](https://www.nhs.uk/) and in our own resource hub.",
    "> Does anyone else get the ringing in the ears?\n\nYes, every afternoon. It eases when I lie down.",
    "Sending support to everyone still waiting for a blood patch. It took me four months and two A&E visits, "
    "but I am back at work part-time now, with a lot of *pacing*.",
    "My MRI came back normal, which made me doubt myself for a long time. The hub page says a normal scan does "
    "not rule out a leak, and my consultant agreed once I showed her my symptom diary.",
    "Day three after my second patch. Told to lie flat for 48 hours and no lifting for six weeks. The kids think "
    "it is hilarious that I eat dinner lying on the sofa.",
    "Does anyone have tips for sleeping? I wake at 4am with the pressure at the back of my head and cannot get "
    "comfortable again. I have tried two pillows, one pillow, no pillow.",
    "I keep a little notebook: hours upright, pain score, fluids. After a month I could show the pattern to the "
    "pain clinic and they took it seriously for the first time.",
    "Work have been brilliant. Occupational health suggested a phased return, two mornings a week from home, "
    "and a camp bed in the office for the first month.",
    "Caffeine tablets did nothing for me, but strong coffee at breakfast helps for a couple of hours. Everyone is "
    "different: please check with your own team before trying anything.",
    "It is the invisible part that gets me. People see me at the school gate and say I look well. They do not "
    "see the afternoon I spend lying down afterwards.",
    "Our local hospital had never heard of a spinal CSF leak. We asked for a referral to a specialist centre "
    "and waited eleven weeks, but it was worth it.",
    "Binders helped me a little: an abdominal binder, quite tight, when I have to be upright for longer, like "
    "a wedding or a long appointment.",
    "Three years on I still have bad days, but far fewer. I wanted to write this for whoever is in the first "
    "weeks now and reading at 3am: it does get better for many of us.",
    "The café last Wednesday was lovely. I mostly listened, flat on the bed with the phone above my face, and "
    "it helped to hear others laughing about the same daft problems.",
    "Questions I wish I had asked at my first appointment:\n\n1. Could this be a leak?\n2. Who would do a "
    "patch here?\n3. What should I do if it gets worse at the weekend?",
    "I am a carer for my husband. Some days I am the one who needs to lie down, just from worry. Thank you all "
    "for being here.",
    "A tip from the physio: short walks on the flat, ten minutes, then lie down before the headache starts, not "
    "after. Stopping early meant I could do more over the whole day.",
    "I found the benefits form really hard to fill in. Describe your worst day and how often it happens; the "
    "advice line at the charity helped me word it.",
    "Tinnitus is worst for me in the evening, like a whooshing in time with my pulse. The ENT doctor said it is "
    "common with low pressure and often settles after treatment.",
    "Just a good-news post: I walked to the end of the road and back today without the headache. Six months ago "
    "I could not sit up for a meal.",
    "We drove to the specialist centre lying the passenger seat flat, with a cool bag of snacks and drinks. "
    "Stopping every hour to lie on a rug in a lay-by helped a lot.",
    "Has anyone else had a CT myelogram? I am booked in next month and nervous about lying still for that long.",
    "Brain fog is the one nobody warned me about. I write everything down now, and my phone reminds me of every "
    "appointment twice.",
    "Hello from Cardiff, new here. Epidural in January, headache from day two, blood patch in February that "
    "helped for a week. Still finding my feet, so mostly reading for now.",
]

STORY_PARAGRAPHS = PARAGRAPHS[:]
WHAT_HELPED = ["Lying flat and being believed.", "The café on Wednesdays.", "A good GP and a symptom diary.",
               "Pacing, and saying no to things.", "My partner, and this community.", ""]
PROCEDURE_KEYS = ["", "lumbar_puncture", "epidural", "spinal_surgery", "other"]


@dataclass
class Sizes:
    members: int
    posts: int
    stories: int


def _chunks(rows: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(model, rows: Iterable[dict]) -> int:
    """Bulk INSERT (executemany, which SQLAlchemy sends as multi-row VALUES) in chunks. Returns the row count."""
    count = 0
    for chunk in _chunks(rows):
        db.session.execute(insert(model), chunk)
        count += len(chunk)
    return count


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _advance_sequences(models) -> None:
    """Rows were written with explicit ids: move PostgreSQL's sequences past them, so the app's own inserts work."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        name = model.__table__.name
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                                f"(SELECT coalesce(max(id), 1) FROM \"{name}\"))"))


# Members ---------------------------------------------------------------------------------------------------------

def _seed_members(count: int, rng: random.Random, now: datetime) -> list[int]:
    """`count` verified accounts sharing one password hash, each with a membership (mostly paying), its history
    row, and the guidelines agreed. Returns their ids, the reader's first."""
    password_hash = hash_password(BENCH_PASSWORD)  # one argon2id hash (about 20 ms), reused for every account
    first = _next_id(User)
    staff = {1: ("moderator1@bench.test", "moderator"), 2: ("moderator2@bench.test", "moderator"),
             3: ("moderator3@bench.test", "moderator"), 4: ("moderator4@bench.test", "moderator"),
             5: ("admin@bench.test", "admin")}
    users, memberships, changes, customers, agreed = [], [], [], [], []
    for index in range(count):
        user_id = first + index
        joined = now - timedelta(days=rng.uniform(7, 365 * YEARS))
        if index == 0:
            email, role, name = READER_EMAIL, "registered", "Rowan Reader"
        elif index in staff:
            (email, role), name = staff[index], f"{FIRST_NAMES[index]} {LAST_NAMES[index]}"
        else:
            email, role = f"member{index}@bench.test", "registered"
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        users.append({"id": user_id, "email": email, "display_name": name, "password_hash": password_hash,
                      "role": role, "email_verified_at": joined + timedelta(minutes=5),
                      "credential_stamp": new_credential_stamp(), "bio": "", "time_zone": rng.choice(TIME_ZONES),
                      "text_size": "standard", "created_at": joined,
                      "last_login_at": now - timedelta(days=rng.uniform(0, 60)), "unread_notifications": 0,
                      "restriction_reason": ""})
        roll = rng.random()
        if index == 0 or roll < 0.88:  # paying, renewing within the year
            source, status = "stripe", "active"
            period_end, to_state = now + timedelta(days=rng.uniform(1, 365)), "stripe active"
            customers.append({"user_id": user_id, "customer_id": f"cus_bench{user_id}", "created_at": joined})
        elif roll < 0.96:  # a hardship waiver or a gift
            source, status, period_end, to_state = "complimentary", "active", None, "complimentary active"
        else:  # lapsed: cancelled, and the paid year is over (they keep their account and their posts)
            source, status = "stripe", "canceled"
            period_end, to_state = now - timedelta(days=rng.uniform(1, 300)), "stripe canceled"
            customers.append({"user_id": user_id, "customer_id": f"cus_bench{user_id}", "created_at": joined})
        memberships.append({"user_id": user_id, "source": source, "status": status,
                            "current_period_end": period_end, "expires_at": None,
                            "stripe_subscription_id": f"sub_bench{user_id}" if source == "stripe" else None,
                            "cancel_at_period_end": False, "renewal_amount_pence": 2400 if source == "stripe" else None,
                            "created_at": joined, "updated_at": joined})
        changes.append({"user_id": user_id, "from_state": "none", "to_state": to_state,
                        "reason": "Stripe: subscription created" if source == "stripe" else "Hardship waiver",
                        "actor_id": None, "created_at": joined})
        agreed.append({"user_id": user_id, "version": GUIDELINES_VERSION, "accepted_at": joined})
    _insert(User, users)
    _insert(Membership, memberships)
    _insert(MembershipChange, changes)
    _insert(StripeCustomer, customers)
    _insert(GuidelinesAcceptance, agreed)
    return [user["id"] for user in users]


# Forums ----------------------------------------------------------------------------------------------------------

def _thread_sizes(posts: int, rng: random.Random) -> list[int]:
    """Sizes of the threads besides the long one, adding up to `posts`: most 1-40 posts (short ones commonest),
    one in fifty long (60-400)."""
    sizes, left = [], posts
    while left > 0:
        size = rng.randint(60, 400) if rng.random() < 0.02 else min(40, 1 + int(rng.expovariate(1 / 8)))
        size = min(size, left)
        sizes.append(size)
        left -= size
    return sizes


def _post_body(rng: random.Random) -> str:
    paragraphs = rng.sample(PARAGRAPHS, rng.choice((1, 1, 2, 2, 2, 3)))
    if rng.random() < 0.3:
        paragraphs.append(f"Day {rng.randint(2, 400)} for me. Thinking of everyone dealing with "
                          f"{rng.choice(TOPICS)} this week.")
    return "\n\n".join(paragraphs)


def _post_state(rng: random.Random, number: int, long_thread: bool) -> str:
    if number == 1 or long_thread:
        return "visible"
    roll = rng.random()
    return "pending" if roll < 0.004 else "hidden" if roll < 0.008 else "deleted" if roll < 0.015 else "visible"


def _seed_forums(user_ids: list[int], total_posts: int, rng: random.Random, now: datetime) -> int:
    """Categories, threads and `total_posts` posts; returns the long thread's id."""
    moderators = user_ids[1:6] or user_ids[:1]
    writers = user_ids[6:] or user_ids
    first_category = _next_id(Category)
    categories = [{"id": first_category + position, "slug": slug, "name": name, "description": description,
                   "position": position, "moderators_only": False, "thread_count": 0, "post_count": 0,
                   "last_post_at": None, "created_at": now - timedelta(days=365 * YEARS)}
                  for position, (slug, name, description) in enumerate(CATEGORIES)]
    sizes = _thread_sizes(max(total_posts - LONG_THREAD_POSTS, 0), rng)
    long_index = len(sizes) // 2
    sizes.insert(long_index, min(LONG_THREAD_POSTS, total_posts))
    # Plan each thread: when it starts, who writes each post and when (posts come minutes to days apart).
    plans = []
    for index, size in enumerate(sizes):
        started = now - timedelta(days=rng.uniform(0.5, 365 * YEARS))
        if index == long_index:
            started = now - timedelta(days=20)
        author = rng.choice(writers)
        moments, moment = [], started
        for _ in range(size):
            moments.append(moment)
            moment = min(moment + timedelta(minutes=rng.expovariate(1 / 240)), now - timedelta(minutes=1))
        posters = [author] + [rng.choice(writers) for _ in range(size - 1)]
        plans.append((started, index, rng.choice(categories), moments, posters))
    plans.sort(key=lambda plan: (plan[0], plan[1]))  # thread ids in the order they were started
    first_thread = _next_id(Thread)
    long_thread_id = first_thread + next(i for i, plan in enumerate(plans) if plan[1] == long_index)

    threads, loose_posts = [], []
    read_marks: dict[tuple[int, int], int] = {}
    for offset, (started, index, category, moments, posters) in enumerate(plans):
        thread_id = first_thread + offset
        long_thread = index == long_index
        title = LONG_THREAD_TITLE if long_thread else rng.choice(TITLE_PATTERNS).format(rng.choice(TOPICS))
        title = title[0].upper() + title[1:]
        states = [_post_state(rng, number, long_thread) for number in range(1, len(moments) + 1)]
        visible = [n for n, state in enumerate(states, 1) if state == "visible"]
        last_visible = max((n for n, state in enumerate(states, 1) if state != "pending"), default=0)
        newest = visible[-1]
        threads.append({"id": thread_id, "category_id": category["id"], "author_id": posters[0], "title": title,
                        "pinned": False, "locked": False, "last_number": len(moments),
                        "reply_count": len(visible) - 1, "last_visible_number": last_visible,
                        "last_post_at": moments[newest - 1], "last_post_author_id": posters[newest - 1],
                        "created_at": started})
        category["thread_count"] += 1
        category["post_count"] += len(visible)
        category["last_post_at"] = max(category["last_post_at"] or started, moments[newest - 1])
        for number, (moment, author, state) in enumerate(zip(moments, posters, states, strict=True), 1):
            loose_posts.append((moment, thread_id, number, author, state))
            read_marks[(author, thread_id)] = number
    # Post ids in the order they were written, as a real forum's are (a thread's posts lie far apart on disk).
    loose_posts.sort()
    _insert(Category, categories)
    _insert(Thread, threads)
    first_post = _next_id(Post)
    rendered: dict[str, str] = {}
    queue_items, reactions = [], []

    def post_rows():
        for offset, (moment, thread_id, number, author, state) in enumerate(loose_posts):
            post_id = first_post + offset
            body = _post_body(rng)
            html = rendered.get(body)
            if html is None:
                html = rendered[body] = str(render_post(body))
            row = {"id": post_id, "thread_id": thread_id, "number": number, "author_id": author, "body": body,
                   "body_html": html, "content_note": "", "state": state, "created_at": moment, "edited_at": None,
                   "hidden_at": None, "hidden_by_id": None, "hidden_reason": "", "deleted_at": None,
                   "form_token": None}
            if state == "pending":
                queue_items.append({"kind": "forum_post", "target_id": post_id, "subject_id": author,
                                    "reason": "held", "safety": False, "note": "A new member's first posts",
                                    "status": "open", "opened_at": moment, "outcome": "", "version": 1})
            elif state == "hidden":
                row.update(hidden_at=moment + timedelta(hours=2), hidden_by_id=rng.choice(moderators),
                           hidden_reason="Breaks the guidelines on medical advice")
            elif state == "deleted":
                row.update(deleted_at=moment + timedelta(hours=1))
            elif rng.random() < 0.25:
                givers = rng.sample(user_ids, min(len(user_ids), rng.randint(1, 3)))
                reactions.extend({"post_id": post_id, "user_id": giver, "kind": rng.choice(("support", "same",
                                                                                            "thanks")),
                                  "created_at": moment + timedelta(hours=1)}
                                 for giver in givers if giver != author)
            yield row

    _insert(Post, post_rows())
    _insert(Reaction, reactions)
    _insert(QueueItem, queue_items)
    _insert(ThreadRead, ({"user_id": user, "thread_id": thread, "last_read_number": number, "updated_at": now}
                         for (user, thread), number in read_marks.items()))
    _insert(Watch, ({"user_id": user, "thread_id": thread, "category_id": None, "created_at": now}
                    for user, thread in read_marks))
    return long_thread_id


# Stories ---------------------------------------------------------------------------------------------------------

# (share of stories, audience, review state, published copy?) – the states stories.services can leave a story in.
STORY_STATES = [
    (0.14, "private", "none", False),                # a draft, or kept for the author alone
    (0.03, "private", "none", "withdrawn"),          # was public, withdrawn by its author
    (0.55, "members", "none", False),                # shared with members
    (0.20, "public", "approved", True),              # public, approved by a moderator
    (0.04, "public", "pending", False),              # public, waiting for its first review
    (0.02, "public", "pending", True),               # approved, an edit waiting for review
    (0.01, "public", "changes_requested", False),
    (0.01, "public", "declined", False),
]


def _story_state(rng: random.Random):
    roll, total = rng.random(), 0.0
    for share, audience, review, published in STORY_STATES:
        total += share
        if roll < total:
            return audience, review, published
    return STORY_STATES[2][1:]


def _seed_stories(user_ids: list[int], count: int, rng: random.Random, now: datetime) -> None:
    first = _next_id(Story)
    stories, consents, queue_items = [], [], []
    rendered: dict[str, str] = {}
    writers = user_ids[6:] or user_ids
    for index in range(count):
        story_id, author = first + index, rng.choice(writers)
        audience, review, published = _story_state(rng)
        body = "\n\n".join(rng.sample(STORY_PARAGRAPHS, rng.randint(3, 6)))
        html = rendered.get(body)
        if html is None:
            html = rendered[body] = render_story(body)
        created = now - timedelta(days=rng.uniform(1, 365 * YEARS))
        updated = min(created + timedelta(days=rng.uniform(0, 30)), now)
        title = f"My story: {rng.choice(TOPICS)}" if rng.random() < 0.5 else rng.choice(TITLE_PATTERNS).format(
            rng.choice(TOPICS))
        title = title[0].upper() + title[1:]
        attribution = rng.choice(("name", "initials", "anonymous", "anonymous"))
        row = {"id": story_id, "author_id": author, "title": title, "body": body, "body_html": html,
               "procedure": rng.choice(PROCEDURE_KEYS), "year": rng.choice((None, rng.randint(2010, now.year))),
               "what_helped": rng.choice(WHAT_HELPED), "audience": audience, "attribution": attribution,
               "review_state": review, "review_note": "", "published_title": None, "published_html": None,
               "published_summary": None, "published_at": None, "withdrawn_at": None, "form_token": None,
               "created_at": created, "updated_at": updated}
        if review == "changes_requested":
            row["review_note"] = "Please take out the hospital's name before it goes public."
        elif review == "declined":
            row["review_note"] = "This reads as medical advice, which we cannot publish for the public."
        if published is True:
            row.update(published_title=title, published_html=html, published_summary=summary_of(body),
                       published_at=updated)
        if audience == "public" or published == "withdrawn":
            scope = f"public, attributed as {ATTRIBUTIONS[attribution].lower().removeprefix('my ')}"
            consents.append({"story_id": story_id, "user_id": author, "version": CONSENT_VERSION, "scope": scope,
                             "given_at": created,
                             "withdrawn_at": updated if published == "withdrawn" else None})
        if published == "withdrawn":
            row["withdrawn_at"] = updated
        if review == "pending":
            queue_items.append({"kind": "story", "target_id": story_id, "subject_id": author, "reason": "held",
                                "safety": False, "note": HELD_BECAUSE, "status": "open", "opened_at": updated,
                                "outcome": "", "version": 1})
        stories.append(row)
    _insert(Story, stories)
    _insert(StoryConsent, consents)
    _insert(QueueItem, queue_items)


# The café ------------------------------------------------------------------------------------------------------

CAFE_HOURS = 3
CAFE_WORDS = ["Hello all, flat on the sofa with a cup of tea.", "Day three after my patch and a little better.",
              "Go gently, nobody needs to keep up with the chat.", "Anyone else find evenings worst?",
              "The phone brightness tip really helps my head.", "Lovely to see so many here tonight.",
              "Back from the GP: finally a referral!", "Just reading tonight, but good to be here."]


def open_cafe_with_messages(messages: int = 60, now: datetime | None = None) -> int:
    """Make sure the café room is open now (an extra session for CAFE_HOURS, through the café's own schedule
    rules) and holds at least `messages` messages, sent through the café's own `send` by members of the data set.
    For the load bench's café page, whenever it runs. Returns the session's id."""
    from community.cafe import schedule
    from community.cafe import services as cafe
    from community.cafe.models import CafeMessage

    now = now or utcnow()
    session = schedule.open_session(now)
    if session is None:
        moderator = db.session.scalar(select(User).where(User.email == "moderator1@bench.test"))
        starts = now.replace(second=0, microsecond=0) - timedelta(minutes=30)
        schedule.add_session(moderator, starts, starts + timedelta(hours=CAFE_HOURS), "Load bench session",
                             moderator.display_name)
        session = schedule.open_session(now)
    have = db.session.scalar(select(func.count()).select_from(CafeMessage)
                             .where(CafeMessage.session_id == session.id))
    writers = list(db.session.scalars(select(User).join(Membership).where(
        User.email.like("member%@bench.test"), Membership.status == "active").order_by(User.id)
        .limit(max(messages - have, 0))))
    for number, writer in enumerate(writers):
        cafe.send(writer, session, CAFE_WORDS[number % len(CAFE_WORDS)], token=f"bench-{session.id}-{have + number}")
    return session.id


# The whole data set ----------------------------------------------------------------------------------------------

def seed_large(members: int = 10_000, posts: int = 100_000, stories: int = 5_000, *, seed: int = 14,
               report=None) -> dict:
    """Seed the current app's database with the large data set (inside an app context), committed at the end.
    Returns where things are: the long thread's id and the reader's email and password."""
    if members < 7:
        raise ValueError("at least 7 members: the reader, four moderators, an admin and a writer")
    rng, now, say = random.Random(seed), utcnow().replace(microsecond=0), report or (lambda _message: None)
    started = time.perf_counter()
    seed_pages()
    user_ids = _seed_members(members, rng, now)
    say(f"  {members:,} members in {time.perf_counter() - started:.1f} s")
    long_thread_id = _seed_forums(user_ids, posts, rng, now)
    say(f"  {posts:,} posts at {time.perf_counter() - started:.1f} s")
    _seed_stories(user_ids, stories, rng, now)
    say(f"  {stories:,} stories at {time.perf_counter() - started:.1f} s")
    _advance_sequences([User, Category, Thread, Post, Story])
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        # What autovacuum would do soon after such a load: fresh statistics, so the planner sees the real sizes,
        # and the visibility map, so index-only scans work as on a site that has been running a while.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    say(f"  committed (and vacuumed) at {time.perf_counter() - started:.1f} s")
    return {"long_thread_id": long_thread_id, "email": READER_EMAIL, "password": BENCH_PASSWORD}


def long_thread_id() -> int | None:
    """The id of the thread of exactly 50 posts (LONG_THREAD_TITLE), in the current app's database."""
    return db.session.scalar(select(Thread.id).where(Thread.title == LONG_THREAD_TITLE).order_by(Thread.id).limit(1))


def build(database_url: str, sizes: Sizes) -> dict:
    """Create the schema with the migrations on `database_url`, then seed it. For the command and bench/load.py."""
    import logging

    from flask_migrate import upgrade

    from community import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None,
                      "RATELIMIT_STORAGE_URI": "memory://", "MAIL_SERVER": None, "DEMO_MODE": False})
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        started = time.perf_counter()
        upgrade(directory=str(ROOT / "migrations"))
        print(f"schema (flask db upgrade) in {time.perf_counter() - started:.1f} s")
        if db.session.scalar(select(func.count()).select_from(User)):
            raise SystemExit("The database already holds accounts: give an empty one (the data set is seeded once).")
        found = seed_large(sizes.members, sizes.posts, sizes.stories, report=print)
        print(f"seeded in {time.perf_counter() - started:.1f} s in all")
        db.session.remove()
        db.engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="an empty database, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench_large")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--stories", type=int, default=5_000)
    args = parser.parse_args()
    found = build(args.database_url, Sizes(args.members, args.posts, args.stories))
    print(f"the thread of {LONG_THREAD_POSTS} posts: /forums/t/{found['long_thread_id']}")
    print(f"log in as {found['email']} (or member<n>@bench.test, moderator1@bench.test), password "
          f"{found['password']}")


if __name__ == "__main__":
    main()
