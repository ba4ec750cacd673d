"""Rules for notifications: every change of state happens here, in one transaction.

A notification is a row for one person (what happened, who did it, where to look). The person's unread count is
kept on their account row (`User.unread_notifications`), so the header shows it without a query: every change of
a notification's read state changes the counter in the same transaction, by exactly the number of rows changed.

Email follows each person's choice (NotificationSettings.email_mode): "instant" sends one email per notification
after the commit; "daily" waits for `flask forums digest`; "off" sends nothing. Every email carries a signed
one-click unsubscribe link that works without logging in.
"""

import hashlib
import hmac
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, case, or_, select, update

from community.accounts.models import User
from community.after_response import run_after_response
from community.extensions import db, utcnow
from community.mail import external_url, send_email
from community.refusals import Refusal

from .models import DEFAULT_EMAIL_MODE, EMAIL_MODES, Notification, NotificationSettings

log = logging.getLogger(__name__)

PER_PAGE = 30
# Someone paging far back gets the last page we offer, not a slow deep scan.
MAX_PAGE = 200
# "The last day", with an hour's room: cron never starts at exactly the same second, and a notification made
# just after yesterday's run must still reach today's digest (the emailed_at stamp stops any repeat).
DIGEST_LOOKBACK = timedelta(hours=25)
# How strongly each kind concerns the person: when one post gives someone several reasons, the strongest is kept.
KIND_STRENGTH = {"mention": 3, "quote": 2, "reply": 1, "thread": 1}

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, without counting the whole list (one row more than a page tells if there is a next)."""

    items: list[T]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def prev_num(self) -> int:
        return self.page - 1


def clamp_page(page: int | None) -> int:
    return min(max(page or 1, 1), MAX_PAGE)


def page_of(statement, page: int | None, per_page: int = PER_PAGE, scalars: bool = True) -> Page:
    """Run `statement` (already ordered) for one page: one query."""
    page = clamp_page(page)
    result = db.session.execute(statement.limit(per_page + 1).offset((page - 1) * per_page))
    rows = list(result.scalars().unique() if scalars else result.unique())
    return Page(rows[:per_page], page, len(rows) > per_page)


# Making notifications --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewNotification:
    user_id: int
    kind: str
    actor_id: int | None
    text: str
    url: str


def add_notifications(items: Iterable[NewNotification]) -> list[Notification]:
    """Add the rows and raise each person's unread count, in the caller's transaction (nothing is committed)."""
    rows = [Notification(user_id=item.user_id, kind=item.kind, actor_id=item.actor_id, text=item.text[:2000],
                         url=item.url) for item in items]
    if not rows:
        return []
    db.session.add_all(rows)
    per_user: dict[int, int] = {}
    for row in rows:
        per_user[row.user_id] = per_user.get(row.user_id, 0) + 1
    # The arithmetic in SQL, so two notifications arriving at once both count; one UPDATE for everyone who gets
    # the same number (usually one each: a post tells each person once).
    by_count: dict[int, list[int]] = {}
    for user_id, count in per_user.items():
        by_count.setdefault(count, []).append(user_id)
    for count, user_ids in by_count.items():
        db.session.execute(update(User).where(User.id.in_(user_ids))
                           .values(unread_notifications=User.unread_notifications + count)
                           .execution_options(synchronize_session=False))
    db.session.flush()
    return rows


def notify(user_id: int, kind: str, actor_id: int | None, text: str, url: str) -> Notification:
    """Tell one person something (a path on this site to look at); committed, then emailed if they chose "at once"."""
    [row] = add_notifications([NewNotification(user_id, kind, actor_id, text, url)])
    db.session.commit()
    send_instant_emails_after_response([row.id])
    return row


def send_instant_emails_after_response(notification_ids: Sequence[int]) -> None:
    """Email, beside the response (at once outside a request), those who chose an email each time."""
    if notification_ids:
        ids = list(notification_ids)
        run_after_response(lambda: send_instant_emails(ids))


# Reading --------------------------------------------------------------------------------------------------

def list_notifications(user: User, page: int | None = 1) -> Page[Notification]:
    """A person's notifications, newest first, PER_PAGE a page (one query)."""
    statement = (select(Notification).where(Notification.user_id == user.id)
                 .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return page_of(statement, page)


def get_own_notification(user: User, notification_id: int) -> Notification | None:
    """The notification, if it is this person's (anyone else's is as good as missing)."""
    row = db.session.get(Notification, notification_id)
    return row if row is not None and row.user_id == user.id else None


def mark_read(user: User, ids: Iterable[int] | None = None, *, up_to_id: int | None = None) -> int:
    """Mark all of a person's unread notifications as read, or only those of `ids`, or (`up_to_id`) all of those
    they had seen when they pressed the button, not one that arrived since; returns how many changed.

    Only rows that were unread are changed (a conditional UPDATE), and the counter goes down by exactly that
    number, so it stays right when two tabs mark the same thing at once; it never goes below zero.
    """
    condition = and_(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        ids = [int(i) for i in ids]
        if not ids:
            return 0
        condition = and_(condition, Notification.id.in_(ids))
    if up_to_id is not None:
        condition = and_(condition, Notification.id <= up_to_id)
    changed = db.session.execute(update(Notification).where(condition).values(read_at=utcnow())
                                 .execution_options(synchronize_session=False)).rowcount or 0
    if changed:
        remaining = User.unread_notifications - changed
        db.session.execute(update(User).where(User.id == user.id)
                           .values(unread_notifications=case((remaining < 0, 0), else_=remaining))
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return changed


def open_notification(user: User, notification_id: int) -> str | None:
    """Mark one of the person's notifications read and give the path it points at (None: not theirs)."""
    row = get_own_notification(user, notification_id)
    if row is None:
        return None
    url = row.url
    mark_read(user, [row.id])
    return url


def recount_unread(user_id: int) -> int:
    """Set the counter from the rows themselves (a repair for admins or after bulk removals); committed."""
    count = db.session.scalar(select(db.func.count()).select_from(Notification)
                              .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0
    db.session.execute(update(User).where(User.id == user_id).values(unread_notifications=count)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    return count


# Email preference ----------------------------------------------------------------------------------------

def get_email_mode(user_id: int) -> str:
    """"off", "instant" or "daily" (the default when the person never chose)."""
    mode = db.session.scalar(select(NotificationSettings.email_mode).where(NotificationSettings.user_id == user_id))
    return mode if mode in EMAIL_MODES else DEFAULT_EMAIL_MODE


def set_email_mode(user_id: int, mode: str) -> None:
    """Record how the person wants to hear by email; committed."""
    if mode not in EMAIL_MODES:
        raise Refusal("Choose how often we should email you.", "email_mode")
    row = db.session.get(NotificationSettings, user_id)
    if row is None:
        row = NotificationSettings(user_id=user_id)
        db.session.add(row)
    row.email_mode, row.updated_at = mode, utcnow()
    db.session.commit()


# Unsubscribing with one click ----------------------------------------------------------------------------

def _unsubscribe_serializer() -> URLSafeSerializer:
    # No expiry: a link in an old email must still stop the emails (RFC 8058 expects it to keep working).
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="community.notifications.unsubscribe")


def _address_fingerprint(user: User) -> str:
    # The link names the address it was sent to without spelling it out (links end up in server logs).
    return hashlib.sha256(user.email.lower().encode()).hexdigest()[:16]


def unsubscribe_token(user: User) -> str:
    return _unsubscribe_serializer().dumps({"uid": user.id, "to": _address_fingerprint(user)})


def user_for_unsubscribe_token(token: str) -> User | None:
    """The person a genuine link was made for; None for a tampered or outdated one (after an email change)."""
    try:
        data = _unsubscribe_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = db.session.get(User, data["uid"])
    if user is None or not hmac.compare_digest(_address_fingerprint(user), str(data.get("to"))):
        return None
    return user


def unsubscribe(token: str) -> User | None:
    """Turn off notification emails for the person the link was sent to; None when the link is not genuine."""
    user = user_for_unsubscribe_token(token)
    if user is not None:
        set_email_mode(user.id, "off")
    return user


def _unsubscribe_links(user: User) -> tuple[str, dict[str, str]]:
    link = external_url("notifications.unsubscribe", token=unsubscribe_token(user))
    # RFC 8058: mail programs show their own "Unsubscribe" and POST to the link, with no login or page.
    return link, {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# Sending ---------------------------------------------------------------------------------------------------

REASON = "you chose to hear by email when someone mentions you, quotes you or replies where you follow"


def _open_link(notification: Notification) -> str:
    return external_url("notifications.open", notification_id=notification.id)


def send_instant_emails(notification_ids: Sequence[int]) -> int:
    """Email each of these notifications to its person if they chose an email each time; returns how many went.

    Each is claimed first (emailed_at set by a conditional UPDATE and committed), so it is never sent twice.
    """
    if not notification_ids:
        return 0
    candidates = db.session.execute(
        select(Notification.id, User)
        .join(User, User.id == Notification.user_id)
        .outerjoin(NotificationSettings, NotificationSettings.user_id == Notification.user_id)
        .where(Notification.id.in_(list(notification_ids)), Notification.emailed_at.is_(None),
               Notification.read_at.is_(None), NotificationSettings.email_mode == "instant",
               User.email_verified_at.is_not(None))
    ).all()
    sent = 0
    for notification_id, user in candidates:
        claimed = db.session.execute(update(Notification)
                                     .where(Notification.id == notification_id, Notification.emailed_at.is_(None))
                                     .values(emailed_at=utcnow())
                                     .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        if not claimed:
            continue
        notification = db.session.get(Notification, notification_id)
        unsubscribe_link, headers = _unsubscribe_links(user)
        if send_email(user.email, notification.text, "notification", REASON, headers=headers, user=user,
                      notification=notification, open_link=_open_link(notification),
                      unsubscribe_link=unsubscribe_link,
                      settings_link=external_url("notifications.email_settings")):
            sent += 1
    return sent


def _daily_people(since: datetime) -> list[User]:
    """People on the daily digest (chosen, or never chosen) with something unread and not emailed since `since`."""
    waiting = (select(Notification.user_id)
               .where(Notification.emailed_at.is_(None), Notification.read_at.is_(None),
                      Notification.created_at >= since)
               .distinct())
    return list(db.session.scalars(
        select(User)
        .outerjoin(NotificationSettings, NotificationSettings.user_id == User.id)
        .where(User.id.in_(waiting), User.email_verified_at.is_not(None),
               or_(NotificationSettings.email_mode.is_(None), NotificationSettings.email_mode == "daily"))
        .order_by(User.id)).unique())


def send_daily_digest(now: datetime | None = None) -> int:
    """One email to each person on the daily digest with their unread, not yet emailed notifications of the last
    day; returns how many emails went. Safe to run twice, even at once: each person's notifications are claimed
    by a conditional UPDATE (emailed_at set where it was empty) and only what a run claimed goes in its email."""
    now = now or utcnow()
    since = now - DIGEST_LOOKBACK
    sent = 0
    for user in _daily_people(since):
        claimed_ids = list(db.session.scalars(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.emailed_at.is_(None),
                   Notification.read_at.is_(None), Notification.created_at >= since,
                   Notification.created_at <= now)
            .values(emailed_at=now)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)))
        db.session.commit()
        if not claimed_ids:
            continue  # another run took them
        notifications = list(db.session.scalars(
            select(Notification).where(Notification.id.in_(claimed_ids))
            .order_by(Notification.created_at, Notification.id)))
        unsubscribe_link, headers = _unsubscribe_links(user)
        count = len(notifications)
        subject = ("1 new thing for you on Target CSF Leaks" if count == 1
                   else f"{count} new things for you on Target CSF Leaks")
        items = [(row, _open_link(row)) for row in notifications]
        if send_email(user.email, subject, "notification_digest", REASON, headers=headers, user=user,
                      items=items, all_link=external_url("notifications.index"),
                      unsubscribe_link=unsubscribe_link,
                      settings_link=external_url("notifications.email_settings")):
            sent += 1
        else:
            # Not delivered: give them back to the next run rather than losing them.
            db.session.execute(update(Notification)
                               .where(Notification.id.in_(claimed_ids), Notification.emailed_at == now)
                               .values(emailed_at=None).execution_options(synchronize_session=False))
            db.session.commit()
    return sent
