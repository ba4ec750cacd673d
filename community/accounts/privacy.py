"""What the account holds about a person, for their data export (community.privacy calls it through the part
registered in this package's __init__). Never a secret: no password hash, TOTP secret, recovery code or session
token digest, only that they exist."""

from datetime import timedelta

from sqlalchemy import case, func, select

from community.dates import iso_or_none
from community.extensions import db, utcnow
from community.privacy.erasure import delete_rows

from .models import RecoveryCode, User, UserSession
from .sessions import purge_expired_sessions

# An account whose email address was never confirmed is removed after this long: someone gave an address that is
# not theirs, or changed their mind; nothing of theirs can be in it but the sign-up itself.
UNVERIFIED_ACCOUNT_DAYS = 30

TEXT_SIZE_WORDS = {"standard": "Standard", "large": "Large", "largest": "Largest"}
ROLE_WORDS = {"registered": "Registered", "moderator": "Moderator", "admin": "Administrator"}


def export_account(user: User) -> dict:
    """The person's account, settings, where they are logged in, and their two-factor sign-in (as facts only)."""
    sessions = db.session.execute(
        select(UserSession.device, UserSession.ip_address, UserSession.remembered, UserSession.created_at,
               UserSession.last_seen_at)
        .where(UserSession.user_id == user.id).order_by(UserSession.created_at, UserSession.id)).all()
    unused, used = db.session.execute(
        select(func.count(case((RecoveryCode.used_at.is_(None), 1))),
               func.count(case((RecoveryCode.used_at.is_not(None), 1))))
        .where(RecoveryCode.user_id == user.id)).one()
    return {
        "email": user.email,
        "display_name": user.display_name,
        "about_you": user.bio,
        "role": ROLE_WORDS.get(user.role, user.role),
        "joined_at": iso_or_none(user.created_at),
        "email_verified_at": iso_or_none(user.email_verified_at),
        "last_logged_in_at": iso_or_none(user.last_login_at),
        "settings": {"time_zone": user.time_zone, "text_size": TEXT_SIZE_WORDS.get(user.text_size, user.text_size)},
        "two_factor_sign_in": {
            "turned_on_at": iso_or_none(user.two_factor_enabled_at),
            "recovery_codes_left": unused,
            "recovery_codes_used": used,
        },
        "restriction": ({"kind": user.restriction, "until": iso_or_none(user.restricted_until),
                         "reason": user.restriction_reason} if user.restriction else None),
        "where_you_are_logged_in": [
            {"device": device or "Unknown device", "internet_address": ip_address, "remembered": remembered,
             "logged_in_at": iso_or_none(created_at), "last_seen_at": iso_or_none(last_seen_at)}
            for device, ip_address, remembered, created_at, last_seen_at in sessions],
    }


def purge() -> str:
    """Expired log-in sessions (their cookies already open nothing), and accounts never verified after 30 days."""
    sessions = purge_expired_sessions()
    table = User.__table__
    never_verified = (table.c.email_verified_at.is_(None)
                      & (table.c.created_at < utcnow() - timedelta(days=UNVERIFIED_ACCOUNT_DAYS)))
    accounts = db.session.scalar(select(func.count()).select_from(table).where(never_verified))
    delete_rows(table, never_verified)
    db.session.commit()
    return (f"removed {sessions} expired log-in session(s) and {accounts} account(s) never verified after "
            f"{UNVERIFIED_ACCOUNT_DAYS} days.")
