"""What moderation holds about a member, for their data export.

About them: the decisions moderators made about them or their words (with the reasons they were given, and any
appeal), the times their words or account went to the moderators' queue, and notes moderators wrote about them
(UK GDPR's right of access covers notes about a person). Never who flagged them, what those people wrote, or which
moderator acted or wrote a note.

By them: the flags they made (their own words), and, for moderators and admins, their work as staff, summarised
as what, on which kind of thing (and its number), and when: never the reasons or notes they wrote about other
members, which are those members' data as much as theirs."""

from sqlalchemy import and_, func, or_, select, update

from community.accounts.models import User
from community.dates import iso_or_none
from community.extensions import db, utcnow
from community.privacy.registry import Erasure

from . import registry
from .models import FLAG_REASONS, ITEM_REASONS, Appeal, AuditEntry, Flag, MemberNote, OnDuty, QueueItem, WatchedWord

# The audit log's words for decisions about a member (as moderation's audit log page says them).
ACTION_WORDS = {
    "moderation.keep": "Kept as it is",
    "moderation.approve": "Approved",
    "moderation.request_changes": "Asked for changes",
    "moderation.decline": "Declined",
    "moderation.hide": "Hidden",
    "moderation.restore": "Restored",
    "moderation.delete": "Deleted",
    "moderation.edit": "Edited by a moderator",
    "moderation.auto_hide": "Hidden after several flags",
    "moderation.warn": "Warned",
    "moderation.silence": "Silenced",
    "moderation.suspend": "Suspended",
    "moderation.ban": "Banned",
    "moderation.lift": "Restriction lifted",
    "moderation.note": "A moderator added a note",
    "moderation.appeal_upheld": "Appeal decided: the decision stands",
    "moderation.appeal_overturned": "Appeal decided: the decision was overturned",
    "set_role": "Role changed",
    "stories.approve": "Story approved for the public",
    "stories.request_changes": "Asked for changes to a story",
    "stories.decline": "Story declined for the public",
    "cafe.delete": "Café message removed by a host",
    "cafe.muted": "Muted in the café by a host",
    "cafe.removed": "Removed from the café room by a host",
    "cafe.unmute": "Unmuted in the café",
    "two_factor_on": "Two-factor sign-in turned on",
    "two_factor_off": "Two-factor sign-in turned off",
    "two_factor_new_app": "Two-factor sign-in moved to a new app",
    "two_factor_reset": "Two-factor sign-in reset by the charity",
}
APPEAL_OUTCOMES = {"upheld": "The decision stands", "overturned": "The decision was overturned", "": "Waiting"}


def _action(action: str) -> str:
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    words = action.replace(".", ": ").replace("_", " ")
    return words[:1].upper() + words[1:]


def _kind(name: str) -> str:
    if name in ("member", "user"):
        return "Your account"
    kind = registry.get(name)
    return kind.label if kind else name.replace("_", " ").capitalize()


def export_member_data(user: User) -> dict:
    data = {
        "decisions_about_you": _decisions(user),
        "times_your_words_or_account_went_to_moderators": _queue_items(user),
        "notes_moderators_wrote_about_you": [
            {"note": text, "written_at": iso_or_none(created_at)} for text, created_at in db.session.execute(
                select(MemberNote.text, MemberNote.created_at).where(MemberNote.member_id == user.id)
                .order_by(MemberNote.created_at, MemberNote.id))],
        "flags_you_made": _flags(user),
    }
    actions = db.session.execute(
        select(AuditEntry.action, AuditEntry.target_type, AuditEntry.target_id, AuditEntry.created_at)
        .where(AuditEntry.actor_id == user.id).order_by(AuditEntry.created_at, AuditEntry.id)).all()
    if actions:
        # A summary (what, on which kind of thing, when): the reasons staff give are about other members.
        data["things_you_did_that_the_site_recorded"] = [
            {"what": _action(action), "on": target_type.replace("_", " "), "number": target_id,
             "when": iso_or_none(created_at)} for action, target_type, target_id, created_at in actions]
    staff = _staff_work(user)
    if staff:
        data["your_work_as_a_moderator"] = staff
    return data


def _decisions(user: User) -> list[dict]:
    """Audit entries about the member (or their account), never naming who acted, each with the member's appeal."""
    about_them = or_(AuditEntry.subject_id == user.id,
                     and_(AuditEntry.target_type == "user", AuditEntry.target_id == user.id,
                          or_(AuditEntry.actor_id.is_(None), AuditEntry.actor_id != user.id)))
    rows = db.session.execute(
        select(AuditEntry.action, AuditEntry.target_type, AuditEntry.target_id, AuditEntry.reason,
               AuditEntry.detail, AuditEntry.created_at, Appeal.text, Appeal.created_at, Appeal.outcome,
               Appeal.decision_reason, Appeal.decided_at)
        .outerjoin(Appeal, and_(Appeal.entry_id == AuditEntry.id, Appeal.appellant_id == user.id))
        .where(about_them).order_by(AuditEntry.created_at, AuditEntry.id)).all()
    return [{"what": _action(action), "about": _kind(target_type), "number": target_id, "reason": reason or None,
             "detail": detail or None, "when": iso_or_none(created_at),
             "your_appeal": ({"your_words": appeal_text, "made_at": iso_or_none(appealed_at),
                              "outcome": APPEAL_OUTCOMES.get(outcome, outcome), "why": decision_reason or None,
                              "decided_at": iso_or_none(decided_at)} if appealed_at else None)}
            for (action, target_type, target_id, reason, detail, created_at, appeal_text, appealed_at, outcome,
                 decision_reason, decided_at) in rows]


def _queue_items(user: User) -> list[dict]:
    """Once a moderator has dealt with them: an item still open would tell a member they have just been flagged
    before anyone has looked, and invite guessing who did it."""
    rows = db.session.execute(
        select(QueueItem.kind, QueueItem.target_id, QueueItem.reason, QueueItem.note, QueueItem.opened_at,
               QueueItem.closed_at, QueueItem.outcome)
        .where(QueueItem.subject_id == user.id, QueueItem.status != "open")
        .order_by(QueueItem.opened_at, QueueItem.id)).all()
    return [{"what": _kind(kind), "number": target_id, "why": ITEM_REASONS.get(reason, reason),
             "moderators_note": note or None, "opened_at": iso_or_none(opened_at), "closed_at": iso_or_none(closed_at),
             "outcome": outcome or None}
            for kind, target_id, reason, note, opened_at, closed_at, outcome in rows]


def _flags(user: User) -> list[dict]:
    rows = db.session.execute(
        select(QueueItem.kind, QueueItem.target_id, QueueItem.status, Flag.reason, Flag.note, Flag.created_at)
        .join(QueueItem, Flag.item_id == QueueItem.id)
        .where(Flag.flagger_id == user.id).order_by(Flag.created_at, Flag.id)).all()
    return [{"what": _kind(kind) if kind != "member" else "A member", "number": target_id,
             "why": FLAG_REASONS.get(reason, reason), "your_note": note or None, "made_at": iso_or_none(created_at),
             "status": "A moderator has dealt with it" if status == "closed" else "Waiting for a moderator"}
            for kind, target_id, status, reason, note, created_at in rows]


def _staff_work(user: User) -> dict:
    """The queue items and appeals they decided, notes and watched words they added, and whether they are on
    duty: a summary only."""
    closed = db.session.execute(
        select(QueueItem.outcome, func.count()).where(QueueItem.closed_by_id == user.id)
        .group_by(QueueItem.outcome).order_by(QueueItem.outcome)).all()
    appeals = db.session.execute(
        select(Appeal.outcome, func.count()).where(Appeal.decided_by_id == user.id)
        .group_by(Appeal.outcome).order_by(Appeal.outcome)).all()
    notes = db.session.scalar(select(func.count()).select_from(MemberNote).where(MemberNote.author_id == user.id))
    words = db.session.execute(select(WatchedWord.phrase, WatchedWord.action, WatchedWord.created_at)
                               .where(WatchedWord.created_by_id == user.id).order_by(WatchedWord.created_at)).all()
    on_duty = db.session.scalar(select(OnDuty.since).where(OnDuty.user_id == user.id))
    work = {
        "queue_items_you_closed": [{"outcome": outcome or "(none)", "how_many": count} for outcome, count in closed],
        "appeals_you_decided": [{"outcome": APPEAL_OUTCOMES.get(outcome, outcome), "how_many": count}
                                for outcome, count in appeals],
        "notes_you_wrote_about_members": notes,
        "watched_words_you_added": [{"phrase": phrase, "action": action, "added_at": iso_or_none(created_at)}
                                    for phrase, action, created_at in words],
        "on_duty_since": iso_or_none(on_duty),
    }
    return {key: value for key, value in work.items() if value}


ERASED_OUTCOME = "erased"


def erase_member_data(user: User, erasure: Erasure) -> None:
    """The audit log keeps every entry, calling the member by their pseudonym where it named them; an open queue
    item about the member themselves closes (there is no one left to decide about); and the erasure itself goes in
    the log, by the admin who carried it out or by the pseudonym. Notes about them and their appeals go with the
    account (ON DELETE rules); flags they made stay, without their name."""
    for column, label in ((AuditEntry.actor_id, "actor_label"), (AuditEntry.subject_id, "subject_label")):
        db.session.execute(update(AuditEntry).where(column == user.id).values({label: erasure.pseudonym}))
    db.session.execute(update(QueueItem).where(QueueItem.kind == "member", QueueItem.target_id == user.id,
                                               QueueItem.status == "open")
                       .values(status="closed", closed_at=utcnow(), outcome=ERASED_OUTCOME,
                               version=QueueItem.version + 1))
    writing = ("forum posts and café messages kept as “a former member”" if erasure.keep_writing
               else "forum posts and café messages deleted")
    admin = erasure.admin
    db.session.add(AuditEntry(
        actor_id=admin.id if admin is not None else None, actor_label="" if admin is not None else erasure.pseudonym,
        action="account.erase", target_type="user", target_id=user.id, subject_label=erasure.pseudonym,
        detail=(f"Asked for by email; {writing}" if admin is not None else f"By the member; {writing}"),
        reason=erasure.reason))
