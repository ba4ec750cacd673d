"""Account rules: signing up, verifying email, signing in, resetting and changing passwords, profiles, roles.

Every function takes plain values and the acting user, commits once, and sends email only after the commit.
Answers never reveal whether an address has an account (a charity's membership is health data), and every
emailed link is spent by one conditional UPDATE, so of several uses at once only one can win.
"""

import hashlib
import re
import unicodedata
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from community.after_response import run_after_response
from community.extensions import db, utcnow
from community.mail import external_url, send_email
from community.moderation.services import record_action
from community.refusals import Refusal

from . import sessions, two_factor
from .models import BIO_MAX, DISPLAY_NAME_MAX, ROLES, TEXT_SIZES, User, UserSession, new_credential_stamp
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


# Words that would make a name pass for the charity's team; staff show a badge instead (role words in a name
# are allowed only for staff accounts made by an admin).
_TEAM_WORDS = re.compile(r"\b(admins?|administrators?|mods?|moderators?|staff|official|team|target\s*csf\s*leaks)\b",
                         re.IGNORECASE)
# Invisible and control characters: direction overrides (U+202E), zero-width spaces, private use, unassigned.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}
_ZERO_WIDTH_JOINER = "\u200d"


def _has_hidden_characters(name: str) -> bool:
    for index, character in enumerate(name):
        if unicodedata.category(character) not in _HIDDEN_CATEGORIES:
            continue
        # The joiner inside an emoji sequence (a family, a health worker) is what people mean; allow it there.
        if character == _ZERO_WIDTH_JOINER and 0 < index < len(name) - 1 and \
                unicodedata.category(name[index - 1]) in ("So", "Mn") and unicodedata.category(name[index + 1]) == "So":
            continue
        return True
    return False


def _clean_display_name(display_name: str, team_words_allowed: bool = False) -> str:
    """The name as others will see it: NFKC-normalised (so look-alike "fullwidth" letters become plain ones),
    spaces collapsed, no invisible or control characters, and no words that pose as the charity's team."""
    name = " ".join(unicodedata.normalize("NFKC", display_name).split())
    if not name:
        raise AccountError("Enter a display name", "display_name")
    if len(name) > DISPLAY_NAME_MAX:
        raise AccountError(f"Your display name can have at most {DISPLAY_NAME_MAX} characters", "display_name")
    if _has_hidden_characters(name):
        raise AccountError("Your display name has an invisible or control character in it (it may have come "
                           "with copied text). Type the name again using letters, numbers and punctuation.",
                           "display_name")
    if not team_words_allowed and _TEAM_WORDS.search(name):
        raise AccountError("Words like admin, moderator or team are kept for the charity's own people, who show "
                           "a badge next to their name instead. Please choose another name.", "display_name")
    return name


def _require_free_email(email: str, field: str = "email") -> None:
    if find_user_by_email(email):
        raise AccountError("An account with this email address already exists. Log in, or reset your "
                           "password if you have forgotten it.", field)


# Signing up and verifying ---------------------------------------------------------------------------------

def register(email: str, display_name: str, password: str) -> None:
    """Sign someone up: check what they typed now; create the account (or, for a taken address, tell its owner)
    after the answer has gone out.

    The answer is the same page, after the same work, either way: nobody can tell from it or its timing whether an
    address belongs to a member of a CSF leak charity.
    """
    email = normalise_email(email)
    name = _clean_display_name(display_name)
    _require_new_password(password)
    password_hash = hash_password(password)
    run_after_response(lambda: _create_account_or_tell_owner(email, name, password_hash))


def _create_account_or_tell_owner(email: str, display_name: str, password_hash: str) -> None:
    existing = find_user_by_email(email)
    if existing is not None and not existing.is_verified:
        # Nobody has proved this address yet, so nobody owns the account: the latest sign-up takes it over, and
        # links sent for the earlier one stop working. Whoever holds the mailbox is the one who can finish.
        existing.display_name, existing.password_hash = display_name, password_hash
        existing.credential_stamp = new_credential_stamp()
        db.session.commit()
        _send_verification_email(existing)
        return
    if existing is None:
        user = User(email=email, display_name=display_name, password_hash=password_hash)
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:  # the same address signed up twice at once: the first one has it
            db.session.rollback()
            existing = find_user_by_email(email)
        else:
            _send_verification_email(user)
            return
    send_email(email, "Someone tried to sign up with your address", "signup_existing",
               reason="someone tried to sign up to Target CSF Leaks with this address", user=existing,
               login_link=external_url("accounts.login"), reset_link=external_url("accounts.request_reset"))


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"community.{purpose}")


def _fingerprint(*parts: str) -> str:
    """A short digest that changes whenever any part does (used to make links single-use)."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def credentials_fingerprint(user: User) -> str:
    """Changes with the password and the credential stamp: a link carrying it dies when either does."""
    return _fingerprint(user.password_hash, user.credential_stamp)


def _read_token(purpose: str, token: str, max_age: int) -> dict | None:
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None


def _user_for(data: dict | None) -> User | None:
    user_id = data.get("uid") if data else None
    return db.session.get(User, user_id) if isinstance(user_id, int) else None


def _send_verification_email(user: User) -> None:
    token = _serializer("verify").dumps({"uid": user.id, "email": user.email, "fp": credentials_fingerprint(user)})
    send_email(user.email, "Confirm your email address", "verify_email",
               reason="someone signed up to Target CSF Leaks with this address",
               user=user, link=external_url("accounts.verify_email", token=token))


def verify_email(token: str) -> User | None:
    """Mark the address in a valid link as verified; None for a broken, expired or outdated link."""
    data = _read_token("verify", token, current_app.config["VERIFY_EMAIL_MAX_AGE"])
    user = _user_for(data)
    if user is None or user.email != data.get("email") or data.get("fp") != credentials_fingerprint(user):
        return None
    # One conditional UPDATE: opening the link twice at once confirms it once, and only for the password it was
    # sent with (a later sign-up with the same address spends it).
    db.session.execute(update(User).where(User.id == user.id, User.email == data["email"],
                                          User.password_hash == user.password_hash,
                                          User.credential_stamp == user.credential_stamp,
                                          User.email_verified_at.is_(None))
                       .values(email_verified_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    db.session.refresh(user)
    return user


# Signing in ------------------------------------------------------------------------------------------------

def authenticate(email: str, password: str) -> User | None:
    """The user for a correct email and password, else None: unknown email and wrong password look alike.

    So does an address nobody has confirmed yet: otherwise signing up with someone's address and then logging in
    would tell whether they were already a member.
    """
    user = find_user_by_email(email)
    if not check_password(user.password_hash if user else None, password) or not user.is_verified:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.commit()
    return user


def user_for_half_login(user_id: int, fingerprint: str) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and credentials_fingerprint(user) == fingerprint else None


def confirm_identity(user: User, row: UserSession, password: str, code: str = "") -> None:
    """Open "sudo mode" in this browser: the password again, and a code when two-factor is on."""
    if not check_password(user.password_hash, password):
        raise AccountError("Your password is not right. Check it and try again.", "password")
    if user.has_two_factor and two_factor.check_second_factor(user, code) is None:
        raise AccountError("That code is not right. Enter the 6-digit code your app shows now, or a recovery "
                           "code.", "code")
    sessions.mark_confirmed(row)


# Passwords -------------------------------------------------------------------------------------------------

def request_password_reset(email: str) -> None:
    """Email a reset link if the address has an account. Says nothing either way, and does the same work either
    way: even the look-up happens after the answer has gone out."""
    email = normalise_email(email)
    run_after_response(lambda: _send_reset_link(email))


def _send_reset_link(email: str) -> None:
    user = find_user_by_email(email)
    if user is None:
        return
    token = _serializer("reset").dumps({"uid": user.id, "fp": credentials_fingerprint(user)})
    send_email(user.email, "Reset your password", "reset_password",
               reason="someone asked to reset the password for this address on Target CSF Leaks", user=user,
               link=external_url("accounts.reset_password", token=token),
               minutes=current_app.config["RESET_PASSWORD_MAX_AGE"] // 60)


def _reset_data(token: str) -> tuple[User, dict] | None:
    data = _read_token("reset", token, current_app.config["RESET_PASSWORD_MAX_AGE"])
    user = _user_for(data)
    if user is None or data.get("fp") != credentials_fingerprint(user):
        return None
    return user, data


def user_for_reset_token(token: str) -> User | None:
    """The user a reset link is for, while it is unexpired and unused (a new password spends it)."""
    found = _reset_data(token)
    return found[0] if found else None


def reset_password(token: str, new_password: str, code: str = "") -> User | None:
    """Set a new password through a reset link; every session of the account ends. None if the link is spent.

    With two-factor on, a code is needed too, before anything changes: the link proves the mailbox, not the phone.
    The link is spent by one conditional UPDATE on the credentials it was issued for, so of several uses at once
    only one changes the password.
    """
    found = _reset_data(token)
    if found is None:
        return None
    user, _data = found
    _require_new_password(new_password)
    if user.has_two_factor and two_factor.check_second_factor(user, code) is None:
        raise AccountError("That code is not right, or it has been used. Enter the code your app shows now, or a "
                           "recovery code.", "code")
    new_hash = hash_password(new_password)
    spent = db.session.execute(
        update(User).where(User.id == user.id, User.password_hash == user.password_hash,
                           User.credential_stamp == user.credential_stamp)
        # Following the emailed link proves the address too.
        .values(password_hash=new_hash, credential_stamp=new_credential_stamp(),
                email_verified_at=func.coalesce(User.email_verified_at, utcnow()))
        .execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        db.session.rollback()
        return None
    sessions.end_other_sessions(user, commit=False)
    db.session.commit()
    db.session.refresh(user)
    _tell_password_changed(user)
    return user


def _tell_password_changed(user: User) -> None:
    send_email(user.email, "Your password was changed", "password_changed",
               reason="the password of your Target CSF Leaks account was changed", user=user)


def change_password(user: User, new_password: str, this_session: UserSession | None) -> None:
    """Change a password (the route has just had the person prove who they are); other browsers are logged out."""
    _require_new_password(new_password, "new_password")
    if check_password(user.password_hash, new_password):
        raise AccountError("That is your current password. Choose a new one.", "new_password")
    user.password_hash = hash_password(new_password)
    user.credential_stamp = new_credential_stamp()
    sessions.end_other_sessions(user, keep=this_session, commit=False)
    db.session.commit()
    _tell_password_changed(user)


# Email address ---------------------------------------------------------------------------------------------

def _masked(email: str) -> str:
    """Enough of an address for its owner to recognise, not enough to hand it to a stranger: jo***@example.org."""
    local, _, domain = email.partition("@")
    return f"{local[:2]}***@{domain}"


def request_email_change(user: User, new_email: str) -> None:
    """Send a confirmation link to the new address and tell the old one, with a way to cancel.

    The link lasts a day and dies with any change of password or email, so someone who once knew the password
    cannot move the account after its owner has changed it. Both emails go after the answer, and the same ones
    go whether or not the new address already has an account: the page, its timing and the old inbox all look
    alike, so nobody can use this to find out who is a member.
    """
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError("That is already your email address.", "email")
    user_id, old_email, fingerprint = user.id, user.email, credentials_fingerprint(user)
    run_after_response(lambda: _send_email_change_links(user_id, old_email, new_email, fingerprint))


def _send_email_change_links(user_id: int, old_email: str, new_email: str, fingerprint: str) -> None:
    user = db.session.get(User, user_id)
    hours = current_app.config["CHANGE_EMAIL_MAX_AGE"] // 3600
    cancel = _serializer("cancel-email-change").dumps({"uid": user_id, "old": old_email, "new": new_email,
                                                       "fp": fingerprint})
    send_email(old_email, "Someone asked to change your email address", "email_change_requested",
               reason="this is the email address of a Target CSF Leaks account", user=user,
               new_email=_masked(new_email), hours=hours,
               cancel_link=external_url("accounts.cancel_email_change", token=cancel))
    if find_user_by_email(new_email) is not None:
        send_email(new_email, "Someone asked to use your address", "email_in_use",
                   reason="this is the email address of a Target CSF Leaks account")
        return
    token = _serializer("change-email").dumps({"uid": user_id, "old": old_email, "new": new_email,
                                               "fp": fingerprint})
    send_email(new_email, "Confirm your new email address", "change_email",
               reason="someone asked to use this address for an account on Target CSF Leaks",
               user=user, link=external_url("accounts.confirm_email_change", token=token), hours=hours)


def _email_change_target(token: str) -> tuple[User, dict] | None:
    data = _read_token("change-email", token, current_app.config["CHANGE_EMAIL_MAX_AGE"])
    user = _user_for(data)
    if user is None or user.email != data.get("old") or data.get("fp") != credentials_fingerprint(user) \
            or find_user_by_email(data.get("new", "")):
        return None
    return user, data


def email_change_link_works(token: str) -> bool:
    return _email_change_target(token) is not None


def confirm_email_change(token: str) -> User | None:
    """Switch to the new address from a valid link; None if the link is broken, old, spent or the address taken."""
    found = _email_change_target(token)
    if found is None:
        return None
    user, data = found
    try:
        spent = db.session.execute(
            update(User).where(User.id == user.id, User.email == data["old"],
                               User.password_hash == user.password_hash, User.credential_stamp == user.credential_stamp)
            .values(email=data["new"], email_verified_at=utcnow(), credential_stamp=new_credential_stamp())
            .execution_options(synchronize_session=False))
    except IntegrityError:  # someone took the address a moment ago
        spent = None
    if spent is None or spent.rowcount != 1:
        db.session.rollback()
        return None
    db.session.commit()
    db.session.refresh(user)
    send_email(data["old"], "Your email address was changed", "email_changed",
               reason="this was the email address of a Target CSF Leaks account", user=user,
               new_email=_masked(user.email))
    return user


def _cancel_target(token: str) -> tuple[User, dict, bool] | None:
    """The account a cancel link may act on, and whether it would undo a change already made (else stop one)."""
    data = _read_token("cancel-email-change", token, current_app.config["CANCEL_EMAIL_CHANGE_MAX_AGE"])
    user = _user_for(data)
    if user is None:
        return None
    if user.email == data.get("new"):
        holder = find_user_by_email(data.get("old", ""))
        return (user, data, True) if holder is None else None
    if user.email == data.get("old") and data.get("fp") == credentials_fingerprint(user):
        return user, data, False
    return None


def cancel_link_works(token: str) -> bool:
    return _cancel_target(token) is not None


def cancel_email_change(token: str) -> User | None:
    """From the old address: stop a change, or undo it if it already happened. Every session ends.

    The old address is the one the owner is known to hold, so its word wins for a week. The link works once:
    cancelling replaces the credential stamp it was issued with.
    """
    found = _cancel_target(token)
    if found is None:
        return None
    user, data, undo = found
    statement = update(User).where(User.id == user.id).values(credential_stamp=new_credential_stamp())
    if undo:
        statement = statement.where(User.email == data["new"]).values(email=data["old"])
    else:
        statement = statement.where(User.email == data["old"], User.credential_stamp == user.credential_stamp)
    spent = db.session.execute(statement.execution_options(synchronize_session=False))
    if spent.rowcount != 1:  # a confirmation or another cancel got there first
        db.session.rollback()
        return None
    record_action(None, "email_change_cancelled", "user", user.id,
                  detail="undone from the old address" if undo else "stopped from the old address")
    sessions.end_other_sessions(user, commit=False)
    db.session.commit()
    db.session.refresh(user)
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
    user.display_name = _clean_display_name(display_name, team_words_allowed=user.is_staff)
    user.bio = bio.strip()
    user.time_zone = time_zone
    user.text_size = text_size
    db.session.commit()


def set_role(actor: User | None, user: User, role: str, reason: str = "") -> None:
    """Give a user a role; recorded in the audit log (actor None means the command line).

    Every session of theirs ends, so the new role (and, for staff, two-factor) applies from their next log-in.
    """
    if role not in ROLES:
        raise AccountError(f"There is no role called {role!r}. Choose one of: {', '.join(ROLES)}.", "role")
    if user.role == role:
        return
    if actor is not None and actor.id == user.id and user.role == "admin":
        raise AccountError("You cannot remove your own admin role. Ask another admin to do it.", "role")
    if user.role == "admin" and _admin_count() == 1:
        raise AccountError(f"{user.email} is the last admin. Make someone else an admin first, so the charity "
                           "can still manage the site.", "role")
    record_action(actor, "set_role", "user", user.id, detail=f"{user.role} → {role}", reason=reason)
    user.role = role
    sessions.end_other_sessions(user, commit=False)
    db.session.commit()


def _admin_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == "admin")) or 0


def create_verified_user(email: str, display_name: str, password: str, role: str = "registered") -> User:
    """An account that needs no verification email: for admins made on the command line and demo data."""
    email = normalise_email(email)
    _require_free_email(email)
    _require_new_password(password)
    if role not in ROLES:
        raise AccountError(f"There is no role called {role!r}.", "role")
    user = User(email=email, display_name=_clean_display_name(display_name, team_words_allowed=role != "registered"),
                password_hash=hash_password(password),
                role=role, email_verified_at=utcnow())
    db.session.add(user)
    db.session.flush()
    if role != "registered":
        record_action(None, "set_role", "user", user.id, detail=f"created as {role}")
    db.session.commit()
    return user
