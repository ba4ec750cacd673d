"""What notifications hold about a member, for their data export: the notifications they were sent and how they
chose to hear by email. Notifications others received because of something the member did are only counted:
they belong to the people who received them."""

from sqlalchemy import func, select, update

from community.accounts.models import User
from community.dates import iso_or_none
from community.extensions import db
from community.privacy.registry import Erasure

from .models import DEFAULT_EMAIL_MODE, EMAIL_MODES, Notification, NotificationSettings


def export_member_data(user: User) -> dict:
    notifications = db.session.execute(
        select(Notification.text, Notification.url, Notification.created_at, Notification.read_at,
               Notification.emailed_at)
        .where(Notification.user_id == user.id).order_by(Notification.created_at, Notification.id)).all()
    mode = db.session.scalar(select(NotificationSettings.email_mode).where(NotificationSettings.user_id == user.id))
    caused = db.session.scalar(select(func.count()).select_from(Notification).where(Notification.actor_id == user.id))
    return {
        "email_setting": EMAIL_MODES.get(mode or DEFAULT_EMAIL_MODE, mode),
        "notifications": [{"text": text, "link": url, "sent_at": iso_or_none(created_at),
                           "read_at": iso_or_none(read_at),
                           "emailed_at": iso_or_none(emailed_at)}
                          for text, url, created_at, read_at, emailed_at in notifications],
        "notifications_others_got_about_something_you_did": caused,
    }


FORMER_MEMBER = "A former member"


def erase_member_data(user: User, erasure: Erasure) -> None:
    """Their own notifications and email setting go with the account (ON DELETE rules). Others' notifications about
    something they did stay, as their readers' own, but no longer name them ("A former member replied in …")."""
    if user.display_name:
        db.session.execute(update(Notification).where(Notification.actor_id == user.id)
                           .values(text=func.replace(Notification.text, user.display_name, FORMER_MEMBER)))
