"""Account rules: signing up, verifying email, signing in, resetting and changing passwords, profiles, roles.

Every function takes plain values and the acting user, commits once, and sends email only after the commit.
"""

import hashlib
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from community.extensions import db, utcnow
from community.mail import external_url, send_email
from community.moderation.services import record_action
from community.refusals import Refusal

from .models import BIO_MAX, DISPLAY_NAME_MAX, ROLES, TEXT_SIZES, User, new_login_token
from .passwords import check_password, hash_password, needs_rehash, password_problem


class AccountError(Refusal):
    """An account change we refuse."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    # Addresses are stored normalised, so a plain comparison finds them through the unique index.
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _require_new_password(password: str, field: str = "password") -> None:
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, field)


def _clean_display_name(display_name: str) -> str:
    name = display_name.strip()
    if not name:
        raise AccountError("Enter a display name", "display_name")
    if len(name) > DISPLAY_NAME_MAX:
        raise AccountError(f"Your display name can have at most {DISPLAY_NAME_MAX} characters", "display_name")
    return name


def _require_free_email(email: str, field: str = "email") -> None:
    if find_user_by_email(email):
        raise AccountError("An account with this email address already exists. Log in, or reset your "
                           "password if you have forgotten it.", field)


# Signing up and verifying ---------------------------------------------------------------------------------

def register(email: str, display_name: str, password: str) -> User:
    """Create an unverified account and send the verification link."""
    email = normalise_email(email)
    _require_free_email(email)
    _require_new_password(password)
    user = User(email=email, display_name=_clean_display_name(display_name), password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    send_verification_email(user)
    return user


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"community.{purpose}")


def _fingerprint(*parts: str) -> str:
    """A short digest that changes whenever any part does (used to make links single-use)."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def _read_token(purpose: str, token: str, max_age: int) -> dict | None:
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None


def send_verification_email(user: User) -> None:
    token = _serializer("verify").dumps({"uid": user.id, "email": user.email})
    send_email(user.email, "Confirm your email address", "verify_email",
               reason="someone signed up to Target CSF Leaks with this address",
               user=user, link=external_url("accounts.verify_email", token=token))


def verify_email(token: str) -> User | None:
    """Mark the address in a valid link as verified; None for a broken, expired or outdated link."""
    data = _read_token("verify", token, current_app.config["VERIFY_EMAIL_MAX_AGE"])
    user = db.session.get(User, data.get("uid")) if data else None
    if user is None or user.email != data.get("email"):
        return None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.commit()
    return user


# Signing in ------------------------------------------------------------------------------------------------

def authenticate(email: str, password: str) -> User | None:
    """The user for a correct email and password, else None: unknown email and wrong password look alike."""
    user = find_user_by_email(email)
    if not check_password(user.password_hash if user else None, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def load_user_from_session_id(session_id: str) -> User | None:
    """Flask-Login's loader: the id is "<user id>:<login token>", so a replaced token ends old sessions."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.login_token == token else None


# Passwords -------------------------------------------------------------------------------------------------

def _reset_fingerprint(user: User) -> str:
    return _fingerprint(user.password_hash, user.login_token)


def request_password_reset(email: str) -> None:
    """Email a reset link if the address has an account. Says nothing either way, to the caller or anyone."""
    user = find_user_by_email(email)
    if user is None:
        return
    token = _serializer("reset").dumps({"uid": user.id, "fp": _reset_fingerprint(user)})
    send_email(user.email, "Reset your password", "reset_password",
               reason="someone asked to reset the password for this address on Target CSF Leaks",
               user=user, link=external_url("accounts.reset_password", token=token),
               minutes=current_app.config["RESET_PASSWORD_MAX_AGE"] // 60)


def user_for_reset_token(token: str) -> User | None:
    """The user a reset link is for, while it is unexpired and unused (a new password spends it)."""
    data = _read_token("reset", token, current_app.config["RESET_PASSWORD_MAX_AGE"])
    user = db.session.get(User, data.get("uid")) if data else None
    if user is None or data.get("fp") != _reset_fingerprint(user):
        return None
    return user


def reset_password(token: str, new_password: str) -> User | None:
    """Set a new password through a reset link; every existing session is signed out."""
    user = user_for_reset_token(token)
    if user is None:
        return None
    _require_new_password(new_password)
    user.password_hash = hash_password(new_password)
    user.login_token = new_login_token()
    # Following the emailed link proves the address too.
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.commit()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change a password; every other browser signed in to this account is signed out."""
    if not check_password(user.password_hash, current_password):
        raise AccountError("Your current password is not right. Check it and try again.", "current_password")
    _require_new_password(new_password, "new_password")
    user.password_hash = hash_password(new_password)
    user.login_token = new_login_token()
    db.session.commit()
    send_email(user.email, "Your password was changed", "password_changed",
               reason="the password of your Target CSF Leaks account was changed", user=user)


# Email address ---------------------------------------------------------------------------------------------

def request_email_change(user: User, password: str, new_email: str) -> None:
    """Send a confirmation link to the new address; the account keeps the old one until it is followed."""
    if not check_password(user.password_hash, password):
        raise AccountError("Your password is not right. Check it and try again.", "password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError("That is already your email address.", "email")
    _require_free_email(new_email)
    token = _serializer("change-email").dumps({"uid": user.id, "old": user.email, "new": new_email})
    send_email(new_email, "Confirm your new email address", "change_email",
               reason="someone asked to use this address for an account on Target CSF Leaks",
               user=user, link=external_url("accounts.confirm_email_change", token=token))


def confirm_email_change(token: str) -> User | None:
    """Switch to the new address from a valid link; None if the link is broken, old or the address taken."""
    data = _read_token("change-email", token, current_app.config["VERIFY_EMAIL_MAX_AGE"])
    user = db.session.get(User, data.get("uid")) if data else None
    if user is None or user.email != data.get("old") or find_user_by_email(data["new"]):
        return None
    old_email = user.email
    user.email = data["new"]
    user.email_verified_at = utcnow()
    db.session.commit()
    send_email(old_email, "Your email address was changed", "email_changed",
               reason="this was the email address of a Target CSF Leaks account", user=user)
    return user


# Profile and roles -----------------------------------------------------------------------------------------

def update_profile(user: User, display_name: str, bio: str, time_zone: str, text_size: str) -> None:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise AccountError("Choose a time zone from the list.", "time_zone") from None
    if text_size not in TEXT_SIZES:
        raise AccountError("Choose a text size from the list.", "text_size")
    if len(bio.strip()) > BIO_MAX:
        raise AccountError(f"Keep this to {BIO_MAX} characters or fewer", "bio")
    user.display_name = _clean_display_name(display_name)
    user.bio = bio.strip()
    user.time_zone = time_zone
    user.text_size = text_size
    db.session.commit()


def set_role(actor: User | None, user: User, role: str, reason: str = "") -> None:
    """Give a user a role; recorded in the audit log (actor None means the command line)."""
    if role not in ROLES:
        raise AccountError(f"There is no role called {role!r}. Choose one of: {', '.join(ROLES)}.", "role")
    if user.role == role:
        return
    if actor is not None and actor.id == user.id and user.role == "admin":
        raise AccountError("You cannot remove your own admin role. Ask another admin to do it.", "role")
    record_action(actor, "set_role", "user", user.id, detail=f"{user.role} → {role}", reason=reason)
    user.role = role
    db.session.commit()


def create_verified_user(email: str, display_name: str, password: str, role: str = "registered") -> User:
    """An account that needs no verification email: for admins made on the command line and demo data."""
    email = normalise_email(email)
    _require_free_email(email)
    _require_new_password(password)
    if role not in ROLES:
        raise AccountError(f"There is no role called {role!r}.", "role")
    user = User(email=email, display_name=_clean_display_name(display_name), password_hash=hash_password(password),
                role=role, email_verified_at=utcnow())
    db.session.add(user)
    db.session.flush()
    if role != "registered":
        record_action(None, "set_role", "user", user.id, detail=f"created as {role}")
    db.session.commit()
    return user
