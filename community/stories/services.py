"""Stories' rules: writing (private when first saved), choosing who may read each one, consent to publish and its
withdrawal, moderators' review of what the public reads, and who may read what.

Who reads what:
- "private": only the author (and moderators through the review queue);
- "members": anyone with member access, under the author's chosen attribution;
- "public": members read the author's current words as soon as it is shared; the public reads only the copy a
  moderator approved (`published_*`), and nothing at all before the first approval or after withdrawal.
An anonymous story's author is known to moderators only: bylines never carry a name, initials or id."""

import re
from dataclasses import dataclass
from datetime import datetime

from flask import has_app_context
from sqlalchemy import and_, event, func, select, update
from sqlalchemy.orm import Session, joinedload

from community.accounts.models import User
from community.action_limits import ActionLimit
from community.extensions import commit_or_existing, db, utcnow
from community.forms import form_token_or_none
from community.markdown import render_markdown
from community.moderation.services import Review, close_open_item, content_written, record_action
from community.permissions import has_member_access, is_moderator
from community.process_cache import ProcessCache
from community.refusals import Refusal

from .models import ATTRIBUTIONS, AUDIENCES, PROCEDURES, Story, StoryConsent

TITLE_MAX = 150
BODY_MAX = 20_000
HELPED_MAX = 2_000
SUMMARY_MAX = 280
NOTE_MAX = 1_000
UNTITLED = "Untitled story"
# New stories per member (a script posting to the autosave without an id would otherwise make rows without end).
NEW_STORY_LIMIT = ActionLimit("new-story", "10 per hour;30 per day")
# The kind of content stories are to moderation (community/stories/kinds.py), and why one is in the queue.
REVIEW_KIND = "story"
HELD_BECAUSE = "A story to publish for the public"
PER_PAGE = 20
# The consent a member gives to publish a story. A new wording gets a new version: each consent records the
# version its author read.
CONSENT_VERSION = "2026-11-1"
CONSENT_TEXT = (
    "I am choosing to share this story with everyone, including people who are not members and search engines. "
    "I have left out anything I do not want strangers to know, such as my full name, where I live, or the names "
    "of hospitals and staff. A moderator will read it before it appears. I can withdraw it at any time: it then "
    "stops being public straight away, and a record of this consent and of my withdrawal is kept.")


class StoryError(Refusal):
    """A story change we refuse, with a kind message."""


def _text(value) -> str:
    return (value or "").replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()


def render_story(body: str) -> str:
    """The story's Markdown as safe HTML, as members' words (the page's <h1> is the title; headings start at <h2>
    without ids)."""
    return str(render_markdown(body, lowest_heading=2, user_content=True).html)


def _plain(body: str) -> str:
    return " ".join(re.sub(r"[#*_>`\[\]()!-]+", " ", body).split())


def _shortened(plain: str) -> str:
    return plain if len(plain) <= SUMMARY_MAX else plain[:SUMMARY_MAX - 1].rsplit(" ", 1)[0] + "…"


def summary_of(body: str) -> str:
    """The opening words, as plain text, for lists and link previews."""
    return _shortened(_plain(body))


def initials(display_name: str) -> str:
    """"Sam Lee" → "S. L."; one word gives one initial."""
    letters = [word[0].upper() for word in re.split(r"[\s\-]+", display_name or "") if word and word[0].isalpha()]
    return " ".join(f"{letter}." for letter in letters[:3]) or "A member"


def byline(story: Story) -> str:
    """How the story names its author, for everyone who reads it (moderators see the author in the queue)."""
    return _byline(story.attribution, story.author.display_name)


def _byline(attribution: str, display_name: str) -> str:
    if attribution == "name":
        return display_name
    if attribution == "initials":
        return initials(display_name)
    return "Anonymous"


# Writing ------------------------------------------------------------------------------------------------------

def _clean(title, body, procedure, year, what_helped, *, lenient: bool, now: datetime) -> dict:
    title = " ".join(_text(title).split())
    body = _text(body)
    what_helped = _text(what_helped)
    if not title:
        if not lenient:
            raise StoryError("Please give your story a title, even a short one like “My first year”.", "title")
        title = UNTITLED
    if len(title) > TITLE_MAX:
        raise StoryError(f"Please keep the title to {TITLE_MAX} characters.", "title")
    if not body and not lenient:
        raise StoryError("Please write your story before saving it. A few lines are enough to start.", "body")
    if len(body) > BODY_MAX:
        raise StoryError(f"Your story is {len(body):,} characters long. It can be up to {BODY_MAX:,}: please shorten "
                         "it a little.", "body")
    if len(what_helped) > HELPED_MAX:
        raise StoryError(f"Please keep “what helped” to {HELPED_MAX:,} characters.", "what_helped")
    if (procedure or "") not in PROCEDURES:
        raise StoryError("Please choose one of the procedures listed, or “Prefer not to say”.", "procedure")
    if year in (None, ""):
        year = None
    else:
        try:
            year = int(str(year).strip())
        except ValueError:
            raise StoryError("Please give the year as four digits, like 2019, or leave it empty.", "year") from None
        if not 1950 <= year <= now.year:
            raise StoryError(f"Please give a year from 1950 to {now.year}, or leave it empty.", "year")
    return {"title": title, "body": body, "procedure": procedure or "", "year": year, "what_helped": what_helped}


def _story_started_by(author, form_token: str | None) -> Story | None:
    if form_token is None:
        return None
    return db.session.scalar(select(Story).where(Story.author_id == author.id, Story.form_token == form_token))


def save_story(author, story: Story | None = None, *, title="", body="", procedure="", year=None, what_helped="",
               autosave: bool = False, now: datetime | None = None, form_token: str | None = None) -> Story:
    """Save a new story (private) or new words for one of the author's own. An autosave keeps even an unfinished
    draft. New words for a public story go back to the moderators; its approved copy stays up meanwhile. A new
    story's `form_token` (from its form) makes a second sending of the same form change the story the first made."""
    now = now or utcnow()
    fields = _clean(title, body, procedure, year, what_helped, lenient=autosave, now=now)
    form_token = form_token_or_none(form_token)
    if story is None:
        story = _story_started_by(author, form_token)
    if story is None:
        if not NEW_STORY_LIMIT.allows(f"member:{author.id}"):
            raise StoryError("You have started a lot of new stories in a short time, so this one has not been saved "
                             "as a new story. Please try again in an hour, or add to one of your stories. Your "
                             "words are still here.", "body")
        NEW_STORY_LIMIT.count(f"member:{author.id}")
        story = Story(author_id=author.id, author=author, audience="private", attribution="anonymous",
                      created_at=now, form_token=form_token)
        db.session.add(story)
    elif story.author_id != author.id:
        raise StoryError("You can only change your own stories.")
    elif autosave and story.audience != "private":
        # Members (and, after approval, moderators) read a shared story's current words: half-typed ones are not
        # saved over them. The author's words stay in the form until they press Save.
        raise StoryError("This story is shared, so changes are kept only when you press “Save my story”.")
    changed = (story.title, story.body) != (fields["title"], fields["body"])
    for name, value in fields.items():
        setattr(story, name, value)
    story.body_html = render_story(fields["body"])
    story.updated_at = now
    if changed and story.audience == "public" and story.review_state in ("approved", "declined",
                                                                         "changes_requested"):
        story.review_state, story.review_note = "pending", ""
        _queue_for_review(author, story)
    # The same new-story form, sent twice at once: the other request made the story first.
    return commit_or_existing(lambda: _story_started_by(author, form_token)) or story


def _queue_for_review(author, story: Story) -> None:
    """Open (or join) the story's item in the moderators' queue, in this transaction."""
    db.session.flush()
    content_written(REVIEW_KIND, story.id, author, Review(state="pending", held_because=HELD_BECAUSE))


# Audience, consent and withdrawal -----------------------------------------------------------------------------

def _scope(attribution: str) -> str:
    return f"public, attributed as {ATTRIBUTIONS[attribution].lower().removeprefix('my ')}"


def share(author, story: Story, audience: str, attribution: str, *, consent_version: str | None = None,
          now: datetime | None = None) -> Story:
    """Choose who may read the story and how it names its author. The public needs the current consent (its
    version, as shown to the author) and then a moderator's approval; moving away from public withdraws it."""
    now = now or utcnow()
    if story.author_id != author.id:
        raise StoryError("You can only change your own stories.")
    if audience not in AUDIENCES:
        raise StoryError("Please choose who may read your story.", "audience")
    if attribution not in ATTRIBUTIONS:
        raise StoryError("Please choose how your story names you.", "attribution")
    if not story.body:
        raise StoryError("Please write your story before sharing it.", "body")
    was_public = story.audience == "public"
    if audience == "public":
        if consent_version != CONSENT_VERSION:
            raise StoryError("To share your story with everyone, please read the consent above and tick the box to "
                             "agree. Nothing is shared until you do.", "consent")
        _record_consent(author, story, attribution, now)
        story.withdrawn_at = None
        if story.review_state not in ("approved",) or story.published_html is None:
            story.review_state, story.review_note = "pending", ""
            _queue_for_review(author, story)
    elif was_public:
        _withdraw(story, now)
    story.audience, story.attribution, story.updated_at = audience, attribution, now
    db.session.commit()
    return story


def _record_consent(author, story: Story, attribution: str, now: datetime) -> None:
    current = _live_consent(story)
    if current is not None and current.version == CONSENT_VERSION and current.scope == _scope(attribution):
        return
    if current is not None:
        current.withdrawn_at = now
    db.session.add(StoryConsent(story_id=story.id, user_id=author.id, version=CONSENT_VERSION,
                                scope=_scope(attribution), given_at=now))


def _live_consent(story: Story) -> StoryConsent | None:
    return db.session.scalar(select(StoryConsent).where(StoryConsent.story_id == story.id,
                                                        StoryConsent.withdrawn_at.is_(None))
                             .order_by(StoryConsent.id.desc()))


def _withdraw(story: Story, now: datetime) -> None:
    # Nothing is left for a moderator to decide: a waiting review leaves the queue.
    close_open_item(REVIEW_KIND, story.id, None, "withdrawn")
    story.published_title = story.published_html = story.published_summary = None
    story.published_at = None
    story.withdrawn_at = now
    story.review_state, story.review_note = "none", ""
    db.session.execute(update(StoryConsent).where(StoryConsent.story_id == story.id,
                                                  StoryConsent.withdrawn_at.is_(None)).values(withdrawn_at=now))


def withdraw(author, story: Story, now: datetime | None = None) -> Story:
    """Stop a story being public at once; it stays readable by the author only. The consent and the withdrawal
    stay on record."""
    now = now or utcnow()
    if story.author_id != author.id:
        raise StoryError("You can only change your own stories.")
    if story.audience != "public":
        raise StoryError("This story is not shared with the public, so there is nothing to withdraw.")
    _withdraw(story, now)
    story.audience, story.updated_at = "private", now
    db.session.commit()
    return story


# Moderators' review -------------------------------------------------------------------------------------------

def _require_pending(moderator, story: Story) -> None:
    if not is_moderator(moderator):
        raise StoryError("Only moderators review stories.")
    if story.audience != "public" or story.review_state != "pending":
        raise StoryError("This story is not waiting for review any more: its author may have changed or "
                         "withdrawn it.")


def _publish(story: Story, now: datetime | None = None) -> bool:
    """Make the current words the approved copy the public reads. False, changing nothing, when the story is no
    longer waiting (its author withdrew it or made it private meanwhile). Never commits."""
    if story.audience != "public" or story.review_state != "pending":
        return False
    story.published_title, story.published_html = story.title, story.body_html
    story.published_summary = summary_of(story.body)
    story.published_at = story.published_at or now or utcnow()
    story.withdrawn_at = None
    story.review_state, story.review_note = "approved", ""
    return True


def _ask_for_changes(story: Story, note: str) -> None:
    """Send the story back to its author with a note; an approved copy already up stays up. Never commits."""
    story.review_state, story.review_note = "changes_requested", _note(note, "what to change")


def _decline(story: Story, reason: str) -> None:
    """Not for the public: the author sees why; an approved copy already up stays up. Never commits."""
    story.review_state, story.review_note = "declined", _note(reason, "why it cannot be published")


def approve(moderator, story: Story, now: datetime | None = None) -> None:
    """Publish the words as they are now (the public reads this copy until the next approval)."""
    _require_pending(moderator, story)
    _publish(story, now or utcnow())
    record_action(moderator, "stories.approve", "story", story.id, subject_id=story.author_id)
    close_open_item(REVIEW_KIND, story.id, moderator, "approve")
    db.session.commit()


def _note(note: str, what: str) -> str:
    note = _text(note)
    if not note:
        raise StoryError(f"Please tell the author {what}, in a sentence or two.", "note")
    if len(note) > NOTE_MAX:
        raise StoryError(f"Please keep the note to {NOTE_MAX:,} characters.", "note")
    return note


def request_changes(moderator, story: Story, note: str) -> None:
    """Ask the author for a change before publishing (for example "please remove the hospital's name")."""
    _require_pending(moderator, story)
    _ask_for_changes(story, note)
    record_action(moderator, "stories.request_changes", "story", story.id, subject_id=story.author_id,
                  reason=story.review_note)
    close_open_item(REVIEW_KIND, story.id, moderator, "request_changes")
    db.session.commit()


def decline(moderator, story: Story, reason: str) -> None:
    """Not for the public: the author sees why. An approved copy already up stays up (only the edit is declined)."""
    _require_pending(moderator, story)
    _decline(story, reason)
    record_action(moderator, "stories.decline", "story", story.id, subject_id=story.author_id,
                  reason=story.review_note)
    close_open_item(REVIEW_KIND, story.id, moderator, "decline")
    db.session.commit()


# Reading ------------------------------------------------------------------------------------------------------

def is_public(story: Story) -> bool:
    return story.audience == "public" and story.published_html is not None and story.withdrawn_at is None


def can_read(user, story: Story) -> bool:
    if user is not None and user.is_authenticated and story.author_id == user.id:
        return True
    if is_moderator(user):
        return story.audience != "private" or story.review_state != "none"
    if has_member_access(user) and story.audience in ("members", "public"):
        return True
    return is_public(story)


def reads_approved_copy(user, story: Story) -> bool:
    """The public (and anyone who is not a member) reads the approved copy; members, moderators and the author
    read the current words."""
    signed_in = user is not None and user.is_authenticated
    return not (signed_in and (story.author_id == user.id or has_member_access(user)))


def readable_story(user, story_id: int) -> Story | None:
    """The story if `user` may read it, else None (the page answers the same 404 for one that does not exist)."""
    story = db.session.get(Story, story_id, options=[joinedload(Story.author)]) if 0 < story_id < 2**31 else None
    return story if story is not None and can_read(user, story) else None


@dataclass(frozen=True)
class StoryPage:
    """A story as one reader reads it: the approved copy or the current words, and the byline (never more about
    the author)."""

    id: int
    title: str
    html: str
    summary: str
    byline: str
    date: datetime | None
    public: bool                 # anyone may read it (so: share link, link previews, the feed)
    approved_copy: bool          # this reader reads the approved copy
    waiting: bool                # the current words wait for a moderator (the public reads the approved copy)
    public_title: str            # the approved copy's title and summary, for link previews
    public_summary: str
    # The details beside the words (procedure, year, what helped): members and the author only, since the
    # approved copy the public reads holds the words alone.
    procedure: str = ""
    year: int | None = None
    what_helped: str = ""


def page_for(user, story: Story) -> StoryPage:
    approved = reads_approved_copy(user, story)
    if approved:
        title, html, summary = story.published_title or "", story.published_html or "", story.published_summary or ""
        date = story.published_at
    else:
        title, html, summary, date = story.title, story.body_html, summary_of(story.body), story.updated_at
    waiting = (not approved and story.audience == "public" and story.review_state == "pending"
               and story.published_html is not None)
    details = {} if approved else {"procedure": PROCEDURES.get(story.procedure, "") if story.procedure else "",
                                   "year": story.year, "what_helped": story.what_helped}
    return StoryPage(story.id, title, html, summary, byline(story), date, is_public(story), approved, waiting,
                     story.published_title or "", story.published_summary or "", **details)


@dataclass(frozen=True)
class StoryListing:
    """A story in the list on /stories as one reader sees it: what StoryPage shows there, without the words."""

    id: int
    title: str
    summary: str
    byline: str
    date: datetime | None
    public: bool


# The list summarises the current words (summary_of) from the start of the body only: enough characters for
# SUMMARY_MAX of plain text in any ordinary story, so a page of 20 does not read 20 whole bodies.
SUMMARY_SOURCE = 800


def _listing_summaries(rows) -> dict[int, str]:
    """summary_of each row's body, from its first SUMMARY_SOURCE + 1 characters (`body_start`). The summary of a
    longer body starts the same way, so only a body whose start holds too little plain text for a whole summary
    (mostly markup or spaces) is read in full: one more query, and only then."""
    summaries, unsure = {}, []
    for row in rows:
        plain = _plain(row.body_start)
        if len(row.body_start) > SUMMARY_SOURCE and len(plain) <= SUMMARY_MAX:
            unsure.append(row.id)
        else:
            summaries[row.id] = _shortened(plain)
    if unsure:
        for story_id, body in db.session.execute(select(Story.id, Story.body).where(Story.id.in_(unsure))):
            summaries[story_id] = summary_of(body)
    return summaries


# Everyone not signed in reads the same first pages of public stories: each process keeps them this long. A change
# made in this process (a story approved, withdrawn, erased; an author renamed) clears them at once after its
# commit; other processes show it within these seconds. Short, because a withdrawal is consent taken back: the
# story's own page is never kept, so it is gone everywhere at once, and its line in the list soon after.
PUBLIC_LISTING_SECONDS = 10
PUBLIC_PAGES_KEPT = 5
_public_pages: tuple[ProcessCache[tuple[tuple[StoryListing, ...], bool]], ...] = tuple(
    ProcessCache(f"stories.public_listing.{page}", PUBLIC_LISTING_SECONDS) for page in range(1, PUBLIC_PAGES_KEPT + 1))


def stories_for(user, page: int = 1, per_page: int = PER_PAGE) -> tuple[list[StoryListing], bool]:
    """One page of the stories `user` may find on /stories, newest first, and whether there are more: the public
    approved stories for everyone; members also find members-only stories and public ones not yet approved.
    Each as page_for would show it (the approved copy or the current words), read as plain columns. The public's
    first pages are kept per process for a few seconds (PUBLIC_LISTING_SECONDS)."""
    page = max(1, min(int(page or 1), 10_000))
    if (user is not None and user.is_authenticated) or page > PUBLIC_PAGES_KEPT or per_page != PER_PAGE:
        return _read_listing(user, page, per_page)
    listings, more = _public_pages[page - 1].get(lambda: _read_public_page(page))
    return list(listings), more


def _read_public_page(page: int) -> tuple[tuple[StoryListing, ...], bool]:
    listings, more = _read_listing(None, page, PER_PAGE)
    return tuple(listings), more


def forget_public_pages() -> None:
    for kept in _public_pages:
        kept.clear()


_LISTED_TABLES = {Story.__tablename__, User.__tablename__}


@event.listens_for(Session, "before_flush")
def _note_listing_changes(session, flush_context, instances) -> None:
    """A story or an author (their name is the byline) about to change: the public list kept here goes stale."""
    if any(isinstance(row, (Story, User)) for row in (*session.new, *session.dirty, *session.deleted)):
        session.info["public_stories_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_listing_changes(state) -> None:
    """The same for an UPDATE or DELETE run as one statement, on the entity or its table (erasure)."""
    if (state.is_update or state.is_delete) and getattr(state.statement.table, "name", None) in _LISTED_TABLES:
        state.session.info["public_stories_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_public_listing(session) -> None:
    # A flag left by a change later rolled back only costs one extra read of the list.
    if session.info.pop("public_stories_changed", False) and has_app_context():
        forget_public_pages()


def _read_listing(user, page: int, per_page: int) -> tuple[list[StoryListing], bool]:
    member = has_member_access(user)
    if member:
        condition = Story.audience.in_(("members", "public"))
        newest = Story.updated_at.desc()
    else:
        condition = and_(Story.audience == "public", Story.published_html.is_not(None), Story.withdrawn_at.is_(None))
        newest = Story.published_at.desc()
    # The page's story ids first (in ix_story_public_listing's or ix_story_members_listing's order), then their
    # authors for those rows only: otherwise a later page joins every earlier story to its author before skipping it.
    order = (newest, Story.id.desc())
    page_ids = (select(Story.id).where(condition).order_by(*order).limit(per_page + 1)
                .offset((page - 1) * per_page).subquery())
    reader_id = user.id if user is not None and user.is_authenticated else None
    columns = [Story.id, Story.author_id, Story.attribution, Story.audience, Story.withdrawn_at,
               Story.published_html.is_not(None).label("has_approved_copy"), Story.published_title,
               Story.published_summary, Story.published_at, User.display_name.label("author_name")]
    if reader_id is not None:
        # Members read the current words, and so does an author their own story (reads_approved_copy).
        columns += [Story.title, Story.updated_at, func.substr(Story.body, 1, SUMMARY_SOURCE + 1).label("body_start")]
    rows = list(db.session.execute(select(*columns).join(page_ids, page_ids.c.id == Story.id)
                                   .join(User, User.id == Story.author_id).order_by(*order)))
    more, rows = len(rows) > per_page, rows[:per_page]
    current = [row for row in rows if reader_id is not None and (member or row.author_id == reader_id)]
    summaries = _listing_summaries(current)
    listings = []
    for row in rows:
        if row.id in summaries:
            title, summary, date = row.title, summaries[row.id], row.updated_at
        else:
            title, summary, date = row.published_title or "", row.published_summary or "", row.published_at
        public = row.audience == "public" and bool(row.has_approved_copy) and row.withdrawn_at is None
        listings.append(StoryListing(row.id, title, summary, _byline(row.attribution, row.author_name), date, public))
    return listings, more


def public_stories(limit: int = 50) -> list[Story]:
    return list(db.session.scalars(select(Story).options(joinedload(Story.author))
                                   .where(Story.audience == "public", Story.published_html.is_not(None),
                                          Story.withdrawn_at.is_(None))
                                   .order_by(Story.published_at.desc()).limit(limit)))


def consents_of(story: Story) -> list[StoryConsent]:
    return list(db.session.scalars(select(StoryConsent).where(StoryConsent.story_id == story.id)
                                   .order_by(StoryConsent.id)))
