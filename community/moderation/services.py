"""Moderation's rules: reviewing what members write (watched words, crisis wording, a newcomer's first posts),
flags, the one review queue, moderators' decisions, restrictions on members, appeals, and the audit log.

Features call in through two seams and register their kinds of content (registry.py):
- `review_new_content(kind, author, text)` before saving what someone wrote: it refuses blocked words, and says
  whether the content goes up or waits for a moderator, and whether its words suggest a crisis;
- `content_written(kind, target_id, author, review)` once the content has an id, in the same transaction: it puts
  held, watched-word and crisis content in the queue.

A moderator's decision claims its queue item with one conditional UPDATE (still open, same version), so when two
moderators act at once the second is told it was already handled and nothing is applied twice."""

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, has_request_context, url_for
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from community.accounts.models import User
from community.after_response import run_after_response
from community.extensions import db, utcnow
from community.mail import external_url, send_email
from community.permissions import STAFF_ROLES, has_member_access, is_moderator, restriction_of
from community.refusals import Refusal

from . import registry
from .models import (
    FLAG_REASONS,
    WATCHED_WORD_ACTIONS,
    Appeal,
    AuditEntry,
    Flag,
    MemberNote,
    ModerationSetting,
    OnDuty,
    QueueItem,
    WatchedWord,
)
from .registry import Content, ContentKind

log = logging.getLogger(__name__)

MEMBER_KIND = "member"
NOTE_MAX = 1000
REASON_MAX = 1000
APPEAL_MAX = 3000
PHRASE_MAX = 100
# Moderation's settings, changed by admins at /moderation/settings or `flask moderation settings`.
SETTINGS = {
    "held_first_posts": ("A new member’s first posts held for approval", 2, 0, 20),
    "flags_to_hide": ("Different members’ flags that hide content until a moderator looks", 3, 2, 20),
}
AUTO_HIDE_REASON = ("Several members flagged this, so it is hidden until a moderator has looked at it.")
RESTRICTION_WORDS = {"silenced": "silenced", "suspended": "suspended", "banned": "banned"}
_RESTRICTION_OF_ACTION = {"moderation.silence": "silenced", "moderation.suspend": "suspended",
                          "moderation.ban": "banned"}
# Decisions a member may appeal, once each.
APPEALABLE = frozenset({"moderation.hide", "moderation.decline", "moderation.delete", "moderation.silence",
                        "moderation.suspend", "moderation.ban"})

# Words that suggest someone may be in crisis, always watched (admins may add more as "crisis" watched words).
# Never blocked: the writer is shown where to find help, the post goes up, and moderators are alerted.
CRISIS_PHRASES = (
    "kill myself", "killing myself", "end my life", "ending my life", "end it all", "take my own life",
    "suicide", "suicidal", "want to die", "wanna die", "better off dead", "better off without me",
    "self harm", "self-harm", "harm myself", "hurt myself", "no reason to live", "not worth living",
    "can't go on", "cannot go on", "can't do this anymore", "overdose",
)


class ModerationError(Refusal):
    """A moderation step we refuse, with a kind message."""


class ContentBlocked(ModerationError):
    """The words hold a phrase the charity does not allow: the writer is told kindly, and keeps their words."""


class AlreadyHandled(ModerationError):
    """Another moderator dealt with the item first."""


ALREADY_HANDLED = ("Another moderator has already dealt with this, so nothing was changed. The queue below shows "
                   "what is still waiting.")


# The audit log -----------------------------------------------------------------------------------------------

def record_action(actor, action: str, target_type: str, target_id: int, *, detail: str = "",
                  reason: str = "", subject_id: int | None = None) -> AuditEntry:
    """Add an audit entry to the session; it is committed with the change it describes."""
    entry = AuditEntry(actor_id=actor.id if actor else None, action=action, target_type=target_type,
                       target_id=target_id, detail=detail, reason=reason, subject_id=subject_id)
    db.session.add(entry)
    return entry


# Settings ----------------------------------------------------------------------------------------------------

def setting(key: str) -> int:
    value = db.session.get(ModerationSetting, key)
    return value.value if value is not None else SETTINGS[key][1]


def set_setting(actor, key: str, value) -> None:
    if key not in SETTINGS:
        raise ModerationError(f"There is no moderation setting called {key}. They are: {', '.join(SETTINGS)}.")
    label, _, low, high = SETTINGS[key]
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ModerationError(f"{label}: please give a whole number from {low} to {high}.", key) from None
    if not low <= number <= high:
        raise ModerationError(f"{label}: please give a whole number from {low} to {high}.", key)
    row = db.session.get(ModerationSetting, key)
    old = row.value if row is not None else SETTINGS[key][1]
    if row is None:
        db.session.add(ModerationSetting(key=key, value=number))
    else:
        row.value = number
    if old != number:
        record_action(actor, "moderation.setting", "moderation_setting", 0, detail=f"{key}: {old} → {number}")
    db.session.commit()


# Watched words -----------------------------------------------------------------------------------------------

def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return text.replace("’", "'").replace("‘", "'")


def _phrase_pattern(phrase: str) -> re.Pattern:
    words = [re.escape(word) for word in _normalise(phrase).split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def clean_phrase(phrase: str) -> str:
    phrase = " ".join(_normalise(phrase).split())
    if not phrase:
        raise ModerationError("Please type the word or phrase to watch for.", "phrase")
    if len(phrase) > PHRASE_MAX:
        raise ModerationError(f"Please keep a watched phrase to {PHRASE_MAX} characters.", "phrase")
    return phrase


def add_watched_word(admin, phrase: str, action: str) -> WatchedWord:
    if action not in WATCHED_WORD_ACTIONS:
        raise ModerationError("Please choose what should happen when the phrase is used.", "action")
    phrase = clean_phrase(phrase)
    if action == "block" and any(_phrase_pattern(crisis).search(phrase) for crisis in CRISIS_PHRASES):
        raise ModerationError("Crisis wording is never blocked: someone who writes it needs help, not a refusal. "
                              "Choose “Crisis wording” instead.", "action")
    if db.session.scalar(select(WatchedWord.id).where(WatchedWord.phrase == phrase)):
        raise ModerationError(f"“{phrase}” is already watched. Remove it first to change what it does.", "phrase")
    word = WatchedWord(phrase=phrase, action=action, created_by_id=admin.id if admin else None)
    db.session.add(word)
    db.session.flush()
    record_action(admin, "moderation.watched_word_added", "watched_word", word.id, detail=f"{phrase} ({action})")
    db.session.commit()
    return word


def remove_watched_word(admin, word_id: int) -> None:
    word = db.session.get(WatchedWord, word_id)
    if word is None:
        return
    record_action(admin, "moderation.watched_word_removed", "watched_word", word.id,
                  detail=f"{word.phrase} ({word.action})")
    db.session.delete(word)
    db.session.commit()


def watched_words() -> list[WatchedWord]:
    return list(db.session.scalars(select(WatchedWord).order_by(WatchedWord.action, WatchedWord.phrase)))


# Reviewing new content ---------------------------------------------------------------------------------------

@dataclass
class Review:
    """What moderation makes of some words about to be saved."""

    state: str = "visible"               # "visible", or "pending" (held for a moderator)
    crisis: bool = False                  # words suggest a crisis: show the writer help, alert moderators
    held_because: str = ""               # why it is held, for the moderator
    flagged_words: list[str] = field(default_factory=list)

    def __eq__(self, other):
        # Older callers compared the answer with "visible" / "pending".
        if isinstance(other, str):
            return self.state == other
        return super().__eq__(other)

    __hash__ = None


BLOCKED_MESSAGE = ("Your words include “{phrase}”, which our community guidelines do not allow here, so this has not "
                   "been posted. Your words are still below: please change that part and send it again. If you think "
                   "this is a mistake, tell us through the contact page.")


def review_new_content(kind: str, author, text: str, *, editing: bool = False) -> Review:
    """Look at words before they are saved. Raises ContentBlocked for a "block" phrase (crisis wording never is).
    Holds a newcomer's first posts (of kinds that count them) and anything with a "hold" phrase. Staff are never
    held or blocked, but their crisis wording is still noticed."""
    review = Review()
    normalised = _normalise(text)
    words = watched_words()
    crisis = [phrase for phrase in CRISIS_PHRASES if _phrase_pattern(phrase).search(normalised)]
    crisis += [word.phrase for word in words if word.action == "crisis" and _phrase_pattern(word.phrase).search(
        normalised)]
    review.crisis = bool(crisis)
    if is_moderator(author):
        return review
    for word in words:
        if word.action in ("block", "hold", "flag") and _phrase_pattern(word.phrase).search(normalised):
            if word.action == "block" and not review.crisis:
                raise ContentBlocked(BLOCKED_MESSAGE.format(phrase=word.phrase), "body")
            if word.action == "hold":
                review.state, review.held_because = "pending", f"Watched word: “{word.phrase}”"
            else:
                review.flagged_words.append(word.phrase)
    content_kind = registry.get(kind)
    if (review.state == "visible" and not editing and content_kind is not None
            and content_kind.published_count is not None):
        held = setting("held_first_posts")
        if held and content_kind.published_count(author.id) < held:
            review.state, review.held_because = "pending", f"One of a new member’s first {held} posts"
    return review


def content_written(kind: str, target_id: int, author, review: Review) -> None:
    """Put what `review` found in the queue, in the caller's transaction (call it before the commit): held
    content waits for approval, crisis wording goes to the top as a safety item, a "flag" phrase is flagged."""
    subject_id = author.id if author else None
    if review.crisis:
        _open_item(kind, target_id, subject_id, "safety", safety=True,
                   note="The words suggest the writer may be in crisis. They were shown where to find help.")
    if review.state == "pending":
        _open_item(kind, target_id, subject_id, "held", note=review.held_because)
    if review.flagged_words:
        _open_item(kind, target_id, subject_id, "watched_word",
                   note="Watched words: " + ", ".join(f"“{w}”" for w in review.flagged_words))


def show_crisis_support() -> None:
    """Tell the writer, on the next page they see, where to find help now (base.html shows the crisis panel)."""
    flash("It sounds like things are very hard right now. You deserve support straight away.", "crisis")


# The queue ---------------------------------------------------------------------------------------------------

def _open_item(kind: str, target_id: int, subject_id: int | None, reason: str, *, safety: bool = False,
               note: str = "") -> QueueItem:
    """The open item for this target, made if there is none; a safety reason lifts it to the top. Two flags at
    once cannot make two items: the partial unique index refuses the second, which then joins the first."""
    item = _find_open_item(kind, target_id)
    if item is None:
        try:
            with db.session.begin_nested():
                item = QueueItem(kind=kind, target_id=target_id, subject_id=subject_id, reason=reason,
                                 safety=safety, note=note, opened_at=utcnow())
                db.session.add(item)
            if safety:
                _alert_moderators_after_commit(item)
            return item
        except IntegrityError:
            item = _find_open_item(kind, target_id)
            if item is None:
                raise
    if safety and not item.safety:
        item.safety, item.reason = True, "safety"
        _alert_moderators_after_commit(item)
    elif item.reason == "flagged" and reason in ("held", "appeal"):
        item.reason = reason
    if note and note not in item.note:
        item.note = f"{item.note}\n{note}".strip()
    return item


def close_open_item(kind: str, target_id: int, actor, outcome: str) -> None:
    """Close the target's open queue item, if any, in the caller's transaction: the content was dealt with outside
    the queue (its author withdrew it, or a moderator decided from the feature's own screen)."""
    item = _find_open_item(kind, target_id)
    if item is not None:
        item.status, item.closed_at, item.outcome = "closed", utcnow(), outcome
        item.closed_by_id = actor.id if actor is not None and getattr(actor, "is_authenticated", False) else None
        item.version += 1


def _find_open_item(kind: str, target_id: int) -> QueueItem | None:
    return db.session.scalar(select(QueueItem).where(QueueItem.kind == kind, QueueItem.target_id == target_id,
                                                     QueueItem.status == "open"))


@dataclass(frozen=True)
class QueueEntry:
    item: QueueItem
    kind_label: str
    content: Content | None
    flag_count: int


def queue(limit: int = 100) -> list[QueueEntry]:
    """Open items, safety first, then oldest first, each with its content (one query per kind on the page)."""
    items = list(db.session.scalars(select(QueueItem).where(QueueItem.status == "open")
                                    .options(joinedload(QueueItem.subject))
                                    .order_by(QueueItem.safety.desc(), QueueItem.opened_at, QueueItem.id)
                                    .limit(limit)))
    flag_counts = dict(db.session.execute(
        select(Flag.item_id, func.count()).where(Flag.item_id.in_([i.id for i in items])).group_by(Flag.item_id)
    ).all()) if items else {}
    contents = _load_contents(items)
    return [QueueEntry(item, kind_label(item.kind), contents.get((item.kind, item.target_id)),
                       flag_counts.get(item.id, 0)) for item in items]


def _load_contents(items: Iterable[QueueItem]) -> dict[tuple[str, int], Content]:
    by_kind: dict[str, list[int]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item.target_id)
    found: dict[tuple[str, int], Content] = {}
    for kind_name, ids in by_kind.items():
        kind = _kind(kind_name)
        if kind is not None:
            found.update({(kind_name, key): value for key, value in kind.load_many(ids).items()})
    return found


def kind_label(name: str) -> str:
    kind = _kind(name)
    return kind.label if kind else name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Dashboard:
    counts: list[tuple[str, int]]      # (kind label, open items)
    total: int
    safety: int
    oldest: datetime | None


def dashboard() -> Dashboard:
    rows = db.session.execute(select(QueueItem.kind, func.count(), func.min(QueueItem.opened_at),
                                     func.sum(func.cast(QueueItem.safety, db.Integer)))
                              .where(QueueItem.status == "open").group_by(QueueItem.kind)).all()
    counts = sorted(((kind_label(kind), count) for kind, count, _, _ in rows), key=lambda pair: pair[0])
    oldest = min((first for _, _, first, _ in rows if first is not None), default=None)
    return Dashboard(counts, sum(count for _, count, _, _ in rows), sum(int(s or 0) for _, _, _, s in rows),
                     oldest)


def pending_count() -> int:
    """For the moderators' header link: one small query."""
    return db.session.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.status == "open")) or 0


@dataclass
class ItemView:
    """One queue item with everything a moderator needs to decide."""

    item: QueueItem
    kind_label: str
    content: Content | None
    flags: list[Flag]
    subject: User | None
    history: list[AuditEntry]
    notes: list[MemberNote]
    appeal: Appeal | None
    earlier: list[QueueItem]


def get_item(item_id: int) -> QueueItem | None:
    return db.session.get(QueueItem, item_id)


def item_view(item: QueueItem) -> ItemView:
    content = None
    if item.kind != MEMBER_KIND:
        kind = _kind(item.kind)
        content = kind.load(item.target_id) if kind else None
    subject = db.session.get(User, item.subject_id) if item.subject_id else None
    flags = list(db.session.scalars(select(Flag).where(Flag.item_id == item.id).options(joinedload(Flag.flagger))
                                    .order_by(Flag.id)))
    earlier = list(db.session.scalars(select(QueueItem).where(
        QueueItem.kind == item.kind, QueueItem.target_id == item.target_id, QueueItem.id != item.id)
        .options(joinedload(QueueItem.closed_by)).order_by(QueueItem.id.desc()).limit(10)))
    appeal_record = db.session.scalar(select(Appeal).where(Appeal.item_id == item.id)
                                      .options(joinedload(Appeal.entry).joinedload(AuditEntry.actor))
                                      .order_by(Appeal.id.desc()).limit(1))
    return ItemView(item, kind_label(item.kind), content, flags, subject,
                    member_history(subject.id) if subject else [], member_notes(subject.id) if subject else [],
                    appeal_record, earlier)


def member_history(member_id: int, limit: int = 20) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.subject_id == member_id)
                                   .options(joinedload(AuditEntry.actor))
                                   .order_by(AuditEntry.id.desc()).limit(limit)))


def member_notes(member_id: int) -> list[MemberNote]:
    return list(db.session.scalars(select(MemberNote).where(MemberNote.member_id == member_id)
                                   .options(joinedload(MemberNote.author)).order_by(MemberNote.id.desc())))


def add_member_note(moderator, member: User, text: str) -> MemberNote:
    _require_moderator(moderator)
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ModerationError("Please write the note first.", "text")
    if len(text) > NOTE_MAX:
        raise ModerationError(f"Please keep a note to {NOTE_MAX} characters.", "text")
    note = MemberNote(member_id=member.id, author_id=moderator.id, text=text)
    db.session.add(note)
    db.session.flush()
    record_action(moderator, "moderation.note", "user", member.id, subject_id=member.id)
    db.session.commit()
    return note


# Flags -------------------------------------------------------------------------------------------------------

def flag(flagger, kind_name: str, target_id: int, reason: str, note: str = "") -> QueueItem:
    """A member flags content they can see (or another member). One open item per target: the flag joins it.
    A safety flag lifts the item to the top and alerts moderators; enough members' flags hide content until a
    moderator looks."""
    note = (note or "").replace("\x00", "").strip()
    if reason not in FLAG_REASONS:
        raise ModerationError("Please choose why you are flagging this.", "reason")
    if reason == "other" and not note:
        raise ModerationError("Please say in a few words what worries you, so a moderator knows what to look for.",
                              "note")
    if len(note) > NOTE_MAX:
        raise ModerationError(f"Please keep your note to {NOTE_MAX} characters.", "note")
    if kind_name == MEMBER_KIND:
        member = db.session.get(User, target_id)
        if member is None:
            raise ModerationError("We could not find that member.")
        subject_id, content = member.id, None
    else:
        kind = _kind(kind_name)
        content = kind.load(target_id) if kind else None
        if content is None or not kind.can_see(flagger, target_id):
            raise ModerationError("We could not find that. It may have been deleted.")
        subject_id = content.author_id
    if subject_id == flagger.id:
        raise ModerationError("You cannot flag your own words. You can edit or delete them instead.")
    # Checked before the item is touched, so a repeated safety flag alerts nobody a second time.
    if has_flagged(flagger, kind_name, target_id):
        raise ModerationError("You have already flagged this. Thank you: a moderator will look at it.")
    safety = reason == "safety"
    item = _open_item(kind_name, target_id, subject_id, "safety" if safety else "flagged", safety=safety)
    db.session.add(Flag(item_id=item.id, flagger_id=flagger.id, reason=reason, note=note))
    try:
        db.session.flush()
    except IntegrityError:
        # The same member's second flag, sent at the same moment as the first.
        db.session.rollback()
        raise ModerationError("You have already flagged this. Thank you: a moderator will look at it.") from None
    if content is not None and content.state == "visible":
        flaggers = db.session.scalar(select(func.count(func.distinct(Flag.flagger_id))).where(Flag.item_id == item.id))
        if flaggers >= setting("flags_to_hide"):
            _kind(kind_name).hide(target_id, None, AUTO_HIDE_REASON)
            record_action(None, "moderation.auto_hide", kind_name, target_id, reason=AUTO_HIDE_REASON,
                          subject_id=subject_id, detail=f"{flaggers} members flagged it")
    db.session.commit()
    return item


def has_flagged(user, kind_name: str, target_id: int) -> bool:
    return db.session.scalar(select(Flag.id).join(QueueItem).where(
        QueueItem.kind == kind_name, QueueItem.target_id == target_id, QueueItem.status == "open",
        Flag.flagger_id == user.id).limit(1)) is not None


# Decisions ---------------------------------------------------------------------------------------------------

CONTENT_DECISIONS = ("keep", "approve", "request_changes", "decline", "hide", "restore", "delete", "edit")
MEMBER_ACTIONS = ("warn", "silence", "suspend", "ban")
# Decisions that must say why (the author sees it).
NEEDS_REASON = frozenset({"request_changes", "decline", "hide", "delete", "warn", "silence", "suspend", "ban", "lift",
                          "uphold", "overturn"})
MAX_DAYS = 365


def _require_moderator(user) -> None:
    if not is_moderator(user):
        raise ModerationError("Only moderators can do that.")


def _claim(moderator, item_id: int, version: int, outcome: str) -> QueueItem:
    """Close the item for this moderator, if it is still open at the version they saw; else AlreadyHandled."""
    claimed = db.session.execute(
        update(QueueItem).where(QueueItem.id == item_id, QueueItem.status == "open", QueueItem.version == version)
        .values(status="closed", version=QueueItem.version + 1, closed_at=utcnow(), closed_by_id=moderator.id,
                outcome=outcome).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise AlreadyHandled(ALREADY_HANDLED)
    item = db.session.get(QueueItem, item_id)
    db.session.refresh(item)
    return item


def _clean_reason(reason: str | None, decision: str) -> str:
    reason = (reason or "").replace("\x00", "").strip()
    if decision in NEEDS_REASON and not reason:
        raise ModerationError("Please write a reason. The member will see it, so keep it kind and clear.", "reason")
    if len(reason) > REASON_MAX:
        raise ModerationError(f"Please keep the reason to {REASON_MAX} characters.", "reason")
    return reason


def decide(moderator, item_id: int, version: int, decision: str, reason: str = "", *, member_action: str = "",
           days: int | None = None, text: str | None = None) -> QueueItem:
    """Act on one queue item: a decision about the content (keep, approve, request changes, decline, hide, restore,
    delete, edit)
    and, optionally, about its author (warn, silence, suspend or ban). All of it, its audit entries and the
    author's notices commit together; a second moderator acting on the same item is told it was handled."""
    _require_moderator(moderator)
    item = db.session.get(QueueItem, item_id)
    if item is None:
        raise ModerationError("We could not find that item.")
    if item.kind == MEMBER_KIND and decision not in ("keep",):
        raise ModerationError("For a member, choose “Keep” (close it) and, if needed, an action about the member.")
    if decision not in CONTENT_DECISIONS:
        raise ModerationError("Please choose what to do.", "decision")
    if member_action and member_action not in MEMBER_ACTIONS:
        raise ModerationError("Please choose what to do about the member.", "member_action")
    reason = _clean_reason(reason, decision if decision in NEEDS_REASON else member_action)
    if _open_appeal(item) is not None:
        raise ModerationError("This item has an appeal waiting: decide the appeal with “Uphold” or “Overturn”.")
    item = _claim(moderator, item_id, version, decision)
    kind = _kind(item.kind)
    published = False
    try:
        if item.kind != MEMBER_KIND:
            if kind is None:
                raise ModerationError("This kind of content is no longer on the site.")
            published = _apply_content_decision(moderator, kind, item, decision, reason, text)
        else:
            record_action(moderator, "moderation.keep", MEMBER_KIND, item.target_id, subject_id=item.subject_id,
                          reason=reason)
        if member_action and item.subject_id:
            member = db.session.get(User, item.subject_id)
            if member is not None:
                _act_on_member(moderator, member, member_action, reason, days)
    except ModerationError:
        # Nothing of it stays: the item is open again at the version the moderator saw.
        db.session.rollback()
        raise
    db.session.commit()
    if member_action and item.subject_id:
        _after_restriction_committed(item.subject_id, member_action)
    if published and kind.after_published:
        _after_commit(kind.after_published, item.target_id)
    return item


def _apply_content_decision(moderator, kind: ContentKind, item: QueueItem, decision: str, reason: str,
                            text: str | None) -> bool:
    """Apply a decision about content; True when it became visible (so the feature tells whoever it tells)."""
    target, subject = item.target_id, item.subject_id
    content = kind.load(target)
    if content is None:
        record_action(moderator, "moderation.keep", item.kind, target, subject_id=subject,
                      detail="It had already gone.")
        return False
    audit = f"moderation.{decision}"
    if decision == "keep":
        # Keeping content hidden by members' flags, or held, puts it back up: "keep" means it is fine as it is.
        published = False
        if content.state == "hidden":
            kind.restore(target, moderator)
            published = True
        elif content.state == "pending" and kind.approve is not None:
            published = kind.approve(target, moderator)
        record_action(moderator, audit, item.kind, target, subject_id=subject, reason=reason,
                      detail=f"{len(item.flags)} flag(s) dismissed" if item.flags else "")
        return published
    if decision == "approve":
        if kind.approve is None or content.state != "pending":
            raise ModerationError("Only content waiting for approval can be approved.")
        if not kind.approve(target, moderator):
            item.outcome = "withdrawn"
            record_action(moderator, "moderation.approve", item.kind, target, subject_id=subject,
                          detail="Not published: its author deleted it while it waited.")
            return False
        record_action(moderator, audit, item.kind, target, subject_id=subject, reason=reason)
        return True
    if decision == "request_changes":
        if kind.request_changes is None or content.state != "pending":
            raise ModerationError("Only content waiting for approval can be sent back for changes.")
        kind.request_changes(target, moderator, reason)
    elif decision == "decline":
        if kind.decline is None or content.state != "pending":
            raise ModerationError("Only content waiting for approval can be declined.")
        kind.decline(target, moderator, reason)
    elif decision == "hide":
        kind.hide(target, moderator, reason)
    elif decision == "restore":
        kind.restore(target, moderator)
        record_action(moderator, audit, item.kind, target, subject_id=subject, reason=reason)
        return True
    elif decision == "delete":
        kind.delete(target, moderator)
    elif decision == "edit":
        if kind.edit is None:
            raise ModerationError("This kind of content cannot be edited by moderators.")
        new_text = (text or "").replace("\x00", "")
        if not new_text.strip():
            raise ModerationError("Please keep some words, or choose Delete instead.", "text")
        kind.edit(target, moderator, new_text)
    entry = record_action(moderator, audit, item.kind, target, subject_id=subject, reason=reason)
    if subject and decision in ("hide", "request_changes", "decline", "delete", "edit"):
        _tell_member(subject, entry, _content_notice(decision, kind.label, reason))
    return False


def _content_notice(decision: str, label: str, reason: str) -> str:
    what = {"hide": "hid", "decline": "did not approve", "delete": "removed", "edit": "edited",
            "request_changes": "asked for a change to"}[decision]
    text = f"A moderator {what} your {label.lower()}."
    if decision == "request_changes":
        text += " Nobody else sees it until you change it and a moderator approves it."
    if reason:
        text += f" They said: {reason}"
    if decision in ("hide", "decline", "delete"):
        text += " If you think this was a mistake, you can ask for it to be looked at again."
    return text


def _open_appeal(item: QueueItem) -> Appeal | None:
    return db.session.scalar(select(Appeal).where(Appeal.item_id == item.id, Appeal.decided_at.is_(None)))


# Members: warnings and restrictions ----------------------------------------------------------------------------

def act_on_member(moderator, member: User, action: str, reason: str, days: int | None = None) -> AuditEntry:
    """Warn, silence, suspend or ban a member from their page (outside the queue)."""
    _require_moderator(moderator)
    if action not in MEMBER_ACTIONS:
        raise ModerationError("Please choose what to do.", "action")
    reason = _clean_reason(reason, action)
    entry = _act_on_member(moderator, member, action, reason, days)
    db.session.commit()
    _after_restriction_committed(member.id, action)
    return entry


def _act_on_member(moderator, member: User, action: str, reason: str, days: int | None) -> AuditEntry:
    if is_moderator(member):
        raise ModerationError("Moderators and admins cannot be warned or restricted here. An admin can change "
                              "their role instead.")
    if member.id == moderator.id:
        raise ModerationError("You cannot act on your own account.")
    if action == "warn":
        entry = record_action(moderator, "moderation.warn", MEMBER_KIND, member.id, subject_id=member.id,
                              reason=reason)
        _tell_member(member.id, entry, f"A moderator has sent you a private note: {reason}")
        return entry
    until = None
    if action in ("silence", "suspend"):
        if not days or not 1 <= int(days) <= MAX_DAYS:
            raise ModerationError(f"Please choose how many days, from 1 to {MAX_DAYS}.", "days")
        until = utcnow() + timedelta(days=int(days))
    restriction = {"silence": "silenced", "suspend": "suspended", "ban": "banned"}[action]
    member.restriction, member.restricted_until, member.restriction_reason = restriction, until, reason
    detail = f"until {until:%d %B %Y %H:%M} UTC" if until else "with no end"
    entry = record_action(moderator, f"moderation.{action}", MEMBER_KIND, member.id, subject_id=member.id,
                          reason=reason, detail=detail)
    _tell_member(member.id, entry, f"A moderator has {restriction} your account. They said: {reason}")
    return entry


def _after_restriction_committed(member_id: int, action: str) -> None:
    if action in ("silence", "suspend", "ban"):
        for hook in _restriction_hooks:
            _after_commit(hook, member_id)


def lift_restriction(moderator, member: User, reason: str) -> None:
    _require_moderator(moderator)
    reason = _clean_reason(reason, "lift")
    if restriction_of(member) is None:
        raise ModerationError("This member has no restriction in force.")
    _lift(member)
    entry = record_action(moderator, "moderation.lift", MEMBER_KIND, member.id, subject_id=member.id, reason=reason)
    _tell_member(member.id, entry, f"A moderator has lifted the restriction on your account. They said: {reason}")
    db.session.commit()


def _lift(member: User) -> None:
    member.restriction, member.restricted_until, member.restriction_reason = None, None, ""


# Called with a member's id after a restriction is committed (the café disconnects their open sockets).
_restriction_hooks: list = []


def on_member_restricted(hook) -> None:
    if hook not in _restriction_hooks:
        _restriction_hooks.append(hook)


# Notices and appeals -----------------------------------------------------------------------------------------

def _path(endpoint: str, **values) -> str:
    """A path on this site for a notification, also outside a request (the command line, the demo seed)."""
    if has_request_context():
        return url_for(endpoint, **values)
    script = urlsplit(current_app.config["SITE_URL"]).path or "/"
    return current_app.url_map.bind("localhost", script_name=script).build(endpoint, values)


def _notifications():
    """community.notifications, imported when first needed: its package loads the forums, which call moderation."""
    from community.notifications import services
    return services


def _tell_member(member_id: int, entry: AuditEntry, text: str) -> None:
    db.session.flush()
    notifications = _notifications()
    notifications.add_notifications([notifications.NewNotification(
        member_id, "moderation", None, text, _path("moderation.standing") + f"#notice-{entry.id}")])


@dataclass(frozen=True)
class Notice:
    entry: AuditEntry
    appeal: Appeal | None
    can_appeal: bool


def notices_for(member: User) -> list[Notice]:
    """Decisions about the member (newest first), each with its appeal, if any."""
    entries = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.subject_id == member.id, AuditEntry.action.in_(APPEALABLE | {"moderation.warn",
                                                                               "moderation.edit",
                                                                               "moderation.request_changes",
                                                                               "moderation.auto_hide",
                                                                               "moderation.lift"}))
        .order_by(AuditEntry.id.desc()).limit(50)))
    appeals = {a.entry_id: a for a in db.session.scalars(
        select(Appeal).where(Appeal.entry_id.in_([e.id for e in entries])))} if entries else {}
    return [Notice(e, appeals.get(e.id), e.action in APPEALABLE and e.id not in appeals) for e in entries]


def appeal(member: User, entry_id: int, text: str) -> Appeal:
    """Ask, once, for a decision about you to be looked at again; it goes to the queue for another moderator."""
    entry = db.session.get(AuditEntry, entry_id)
    if entry is None or entry.subject_id != member.id or entry.action not in APPEALABLE:
        raise ModerationError("We could not find that decision.")
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ModerationError("Please say in a few words why you would like this looked at again.", "text")
    if len(text) > APPEAL_MAX:
        raise ModerationError(f"Please keep your appeal to {APPEAL_MAX} characters.", "text")
    if db.session.scalar(select(Appeal.id).where(Appeal.entry_id == entry.id)):
        raise ModerationError("You have already appealed this decision. A moderator will look at it.")
    kind_name = MEMBER_KIND if entry.target_type == MEMBER_KIND else entry.target_type
    item = _open_item(kind_name, entry.target_id, member.id, "appeal", note="The member has appealed.")
    item.reason = "appeal"
    record = Appeal(entry_id=entry.id, appellant_id=member.id, item_id=item.id, text=text)
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ModerationError("You have already appealed this decision. A moderator will look at it.") from None
    return record


def decide_appeal(moderator, item_id: int, version: int, outcome: str, reason: str) -> Appeal:
    """Uphold or overturn the decision appealed, by a moderator other than the one who made it."""
    _require_moderator(moderator)
    if outcome not in ("uphold", "overturn"):
        raise ModerationError("Please choose to uphold or overturn the decision.", "outcome")
    reason = _clean_reason(reason, outcome)
    item = db.session.get(QueueItem, item_id)
    record = _open_appeal(item) if item else None
    if record is None:
        raise AlreadyHandled(ALREADY_HANDLED)
    if record.entry.actor_id == moderator.id:
        raise ModerationError("You made this decision, so another moderator must decide the appeal.")
    item = _claim(moderator, item_id, version, f"appeal {outcome}")
    entry = record.entry
    record.decided_at, record.decided_by_id = utcnow(), moderator.id
    record.outcome, record.decision_reason = ("upheld" if outcome == "uphold" else "overturned"), reason
    published = False
    kind = None
    try:
        if outcome == "overturn":
            if entry.target_type == MEMBER_KIND:
                member = db.session.get(User, entry.target_id)
                # Only the restriction appealed: a later, different one stays until decided on its own.
                if member is not None and member.restriction == _RESTRICTION_OF_ACTION.get(entry.action):
                    _lift(member)
            else:
                kind = _kind(entry.target_type)
                content = kind.load(entry.target_id) if kind else None
                if content is not None and content.state in ("hidden", "deleted", "pending"):
                    if content.state == "pending" and kind.approve is not None:
                        published = kind.approve(entry.target_id, moderator)
                    else:
                        kind.restore(entry.target_id, moderator)
                        published = True
    except ModerationError:
        # Nothing of it stays: the appeal waits, open, at the version the moderator saw.
        db.session.rollback()
        raise
    record_action(moderator, f"moderation.appeal_{record.outcome}", entry.target_type, entry.target_id,
                  subject_id=record.appellant_id, reason=reason, detail=f"Appeal against entry {entry.id}")
    words = "was overturned" if outcome == "overturn" else "was looked at again and stands"
    _tell_member(record.appellant_id, entry, f"Your appeal has been decided: the decision {words}. "
                                             f"The moderator said: {reason}")
    db.session.commit()
    if published and kind is not None and kind.after_published:
        _after_commit(kind.after_published, entry.target_id)
    return record


# On duty and safety alerts -----------------------------------------------------------------------------------

def is_on_duty(user) -> bool:
    return db.session.get(OnDuty, user.id) is not None


def set_on_duty(moderator, on: bool) -> None:
    _require_moderator(moderator)
    row = db.session.get(OnDuty, moderator.id)
    if on and row is None:
        db.session.add(OnDuty(user_id=moderator.id))
    elif not on and row is not None:
        db.session.delete(row)
    db.session.commit()


def _alert_moderators_after_commit(item: QueueItem) -> None:
    """A safety item: tell the moderators on duty (all moderators and admins when nobody is) in the app now, and
    by email beside the response, whatever their email choice for other notifications."""
    db.session.flush()
    on_duty = select(OnDuty.user_id)
    staff = list(db.session.scalars(select(User).where(User.role.in_(STAFF_ROLES), User.id.in_(on_duty))))
    if not staff:
        staff = list(db.session.scalars(select(User).where(User.role.in_(STAFF_ROLES))))
    url = _path("moderation.item", item_id=item.id)
    link = external_url("moderation.item", item_id=item.id)
    text = "Safety: someone may be in crisis. Please look at the moderation queue now."
    notifications = _notifications()
    notifications.add_notifications([notifications.NewNotification(person.id, "safety", None, text, url)
                                     for person in staff])
    addresses = [person.email for person in staff]

    def send() -> None:
        for address in addresses:
            send_email(address, "Safety alert: please check the moderation queue", "safety_alert",
                       "you are a moderator and a member may need help", url=link)

    run_after_response(send)


def _after_commit(callback, *args) -> None:
    try:
        callback(*args)
    except Exception:  # noqa: BLE001 - the decision is saved; a failed follow-up is logged, not shown as a failure
        log.exception("Follow-up of a moderation decision failed")


# The audit log -----------------------------------------------------------------------------------------------

AUDIT_PER_PAGE = 50


def audit_log(*, actor_id: int | None = None, action: str = "", subject_id: int | None = None,
              target_type: str = "", since: datetime | None = None, until: datetime | None = None,
              page: int = 1):
    conditions = []
    if actor_id:
        conditions.append(AuditEntry.actor_id == actor_id)
    if action:
        conditions.append(AuditEntry.action == action)
    if subject_id:
        conditions.append(or_(AuditEntry.subject_id == subject_id,
                              and_(AuditEntry.target_type.in_(("user", MEMBER_KIND)),
                                   AuditEntry.target_id == subject_id)))
    if target_type:
        conditions.append(AuditEntry.target_type == target_type)
    if since:
        conditions.append(AuditEntry.created_at >= since)
    if until:
        conditions.append(AuditEntry.created_at < until)
    statement = (select(AuditEntry).where(*conditions)
                 .options(joinedload(AuditEntry.actor), joinedload(AuditEntry.subject))
                 .order_by(AuditEntry.id.desc()))
    return _notifications().page_of(statement, page, AUDIT_PER_PAGE)


def _distinct_in_audit_log(column):
    """The distinct values of an indexed column of the audit log, as a subquery of one column, `value`.

    SELECT DISTINCT would read the whole log, which only grows; this asks the column's index for the smallest
    value, then the next one above it, and so on (a recursive query, on SQLite and PostgreSQL alike): one index
    probe per distinct value, however long the log."""
    found = select(func.min(column).label("value")).cte("found", recursive=True)
    following = select(func.min(column)).where(column > found.c.value).scalar_subquery()
    found = found.union_all(select(following).where(found.c.value.is_not(None)))
    return select(found.c.value).where(found.c.value.is_not(None)).subquery()


def audit_actions() -> list[str]:
    actions = _distinct_in_audit_log(AuditEntry.action)
    return list(db.session.scalars(select(actions.c.value).order_by(actions.c.value)))


# Members as a kind of queue item -----------------------------------------------------------------------------

def _kind(name: str) -> ContentKind | None:
    return registry.get(name)


def kinds() -> list[ContentKind]:
    return registry.all_kinds()


def register_kind(kind: ContentKind) -> None:
    registry.register(kind)


def find_member(member_id: int) -> User | None:
    return db.session.get(User, member_id)


def is_flaggable(kind_name: str) -> bool:
    return kind_name == MEMBER_KIND or registry.get(kind_name) is not None


# What the pages need ------------------------------------------------------------------------------------------

def decisions_for(item: QueueItem, content: Content | None) -> list[str]:
    """The decisions that make sense for this item now, so the form offers nothing the service would refuse."""
    if item.kind == MEMBER_KIND or content is None or content.state == "deleted":
        return ["keep"]
    kind = _kind(item.kind)
    if kind is None:
        return ["keep"]
    choices = {"visible": ["keep", "hide", "delete"], "pending": ["approve", "request_changes", "decline", "delete"],
               "hidden": ["restore", "hide", "delete"]}.get(content.state, ["keep"])
    if content.state == "pending":
        offered = {"approve": kind.approve, "request_changes": kind.request_changes, "decline": kind.decline}
        choices = [c for c in choices if offered.get(c, True)]
    if kind.edit is not None and content.state in ("visible", "pending", "hidden"):
        choices.append("edit")
    return choices


def notice_for(member: User, entry_id: int) -> Notice | None:
    """One decision about the member, with its appeal: None if it is not theirs or not a notice."""
    return next((notice for notice in notices_for(member) if notice.entry.id == entry_id), None)


def audit_actors() -> list[tuple[int, str]]:
    """Everyone who appears in the audit log as the one who acted: (id, name), for the log's filter."""
    actors = _distinct_in_audit_log(AuditEntry.actor_id)
    rows = db.session.execute(select(User.id, User.display_name, User.email)
                              .where(User.id.in_(select(actors.c.value)))
                              .order_by(User.display_name, User.id)).all()
    return [(user_id, f"{name} ({email})") for user_id, name, email in rows]


def audit_target_types() -> list[str]:
    kinds = _distinct_in_audit_log(AuditEntry.target_type)
    return list(db.session.scalars(select(kinds.c.value).order_by(kinds.c.value)))


def find_member_by_email(email: str) -> User | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    # Addresses are stored lower-cased (accounts.services.normalise_email): a plain comparison uses the unique
    # index, where lower(email) read every account.
    return db.session.scalar(select(User).where(User.email == email))


# The audit log's actions in plain words (others are shown as they are stored, made readable).
ACTION_WORDS = {
    "moderation.keep": "Kept (flags dismissed)",
    "moderation.approve": "Approved",
    "moderation.request_changes": "Asked for changes",
    "moderation.decline": "Declined",
    "moderation.hide": "Hid",
    "moderation.restore": "Restored",
    "moderation.delete": "Deleted",
    "moderation.edit": "Edited",
    "moderation.auto_hide": "Hidden after several flags",
    "moderation.warn": "Warned",
    "moderation.silence": "Silenced",
    "moderation.suspend": "Suspended",
    "moderation.ban": "Banned",
    "moderation.lift": "Lifted a restriction",
    "moderation.note": "Added a moderator note",
    "moderation.appeal_upheld": "Upheld an appeal",
    "moderation.appeal_overturned": "Overturned on appeal",
    "moderation.setting": "Changed a moderation setting",
    "moderation.watched_word_added": "Added a watched word",
    "moderation.watched_word_removed": "Removed a watched word",
    "set_role": "Changed a role",
    "account.erase": "Erased an account",
}


def action_words(action: str) -> str:
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    words = action.replace(".", ": ").replace("_", " ")
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class FlagTarget:
    """Something a member is about to flag, as they see it."""

    kind: str
    target_id: int
    label: str              # "Forum post", "Member"
    title: str              # the content's heading, or the member's name
    content: Content | None
    author_id: int | None
    existing: Flag | None   # this member's flag on it, while it waits for a moderator


def flag_target(user, kind_name: str, target_id: int) -> FlagTarget | None:
    """What `user` would flag, or None when there is no such thing or they cannot see it (the page is a 404)."""
    if kind_name == MEMBER_KIND:
        member = db.session.get(User, target_id)
        # Only people members can meet (other members, staff): a guessed id reveals nobody else's name.
        if member is None or not has_member_access(member):
            return None
        label, title, content, author_id = "Member", member.display_name, None, member.id
    else:
        kind = _kind(kind_name)
        content = kind.load(target_id) if kind else None
        if content is None or not kind.can_see(user, target_id):
            return None
        label, title, author_id = kind.label, content.title, content.author_id
    existing = db.session.scalar(select(Flag).join(QueueItem).where(
        QueueItem.kind == kind_name, QueueItem.target_id == target_id, QueueItem.status == "open",
        Flag.flagger_id == user.id).limit(1))
    return FlagTarget(kind_name, target_id, label, title, content, author_id, existing)
