"""Two-factor sign-in: a code from an authenticator app (TOTP, RFC 6238) or a one-time recovery code.

Nothing leaves the server: the QR code is drawn here as SVG. A code is accepted in the 30 seconds before and
after its own, and each time step only once, so a code read over someone's shoulder cannot be replayed.
"""

import hashlib
import secrets
import time

import pyotp
import segno
from sqlalchemy import delete, func, select, update

from community.extensions import db, utcnow
from community.mail import send_email
from community.moderation.services import record_action
from community.refusals import Refusal

from . import sessions
from .models import RecoveryCode, User, UserSession

ISSUER = "Target CSF Leaks"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class TwoFactorError(Refusal):
    """A two-factor step we refuse."""


class AlreadySetUp(TwoFactorError):
    """The set-up form was sent again (a double tap) after it had already turned two-factor on."""


def setup_link(user: User, secret: str) -> str:
    """The otpauth:// link authenticator apps understand: scanned as a QR code, or tapped on the phone itself."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(user: User, secret: str) -> str:
    """An inline SVG QR code for authenticator apps: dark on light, whatever the page's theme."""
    svg = segno.make(setup_link(user, secret), error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff",
                                                                     omitsize=True)
    label = "QR code to scan with your authenticator app"
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def spaced(secret: str) -> str:
    """The setup key in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _tell_owner(user: User, what: str) -> None:
    """Every change to how someone logs in is emailed to them, so a stranger's change does not go unnoticed."""
    send_email(user.email, "Your two-factor sign-in changed", "two_factor_changed",
               reason="the sign-in settings of your Target CSF Leaks account changed", user=user, what=what)


def begin_setup(row: UserSession) -> str:
    """The secret for a new authenticator, kept on this browser's session until a code confirms it."""
    if not row.pending_totp_secret:
        row.pending_totp_secret = pyotp.random_base32()
        db.session.commit()
    return row.pending_totp_secret


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code this is (allowing one step of clock drift either way), else None."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):  # str.isdigit() alone lets in "١٢٣٤٥٦"
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones; the plain codes are returned once, never stored."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_digest(raw)))
    return codes


def _recovery_digest(code: str) -> str:
    # Codes carry 78 random bits, so a plain digest is enough to keep them from being read back.
    return hashlib.sha256(_normalise_recovery(code).encode()).hexdigest()


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def confirm_setup(user: User, row: UserSession, code: str) -> list[str]:
    """Turn two-factor on with the authenticator being set up in this browser; returns the recovery codes."""
    secret = row.pending_totp_secret
    if not secret:
        if user.has_two_factor:
            raise AlreadySetUp("Two-factor sign-in is on.")
        raise TwoFactorError("Start again: open the set-up page and scan the new QR code.", "code")
    step = _matching_step(secret, code, time.time())
    if step is None:
        raise TwoFactorError("That code is not right. Enter the 6-digit code your app shows now.", "code")
    # Spend the pending secret with one conditional UPDATE: of two sends at once, only one makes recovery codes.
    spent = db.session.execute(
        update(UserSession).where(UserSession.id == row.id, UserSession.pending_totp_secret == secret)
        .values(pending_totp_secret=None).execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        db.session.rollback()
        raise AlreadySetUp("Two-factor sign-in is on.")
    replacing = user.has_two_factor
    user.totp_secret, user.totp_last_step = secret, step
    user.two_factor_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    record_action(user, "two_factor_new_app" if replacing else "two_factor_on", "user", user.id)
    db.session.commit()
    _tell_owner(user, "A new authenticator app was set up for your account, with new recovery codes. The old app "
                      "and codes no longer work." if replacing else
                      "Two-factor sign-in was turned on for your account: logging in now needs a code from an "
                      "authenticator app as well as your password.")
    return codes


def new_recovery_codes(user: User) -> list[str]:
    """Replace every recovery code (the old ones stop working); returns the new ones to show once."""
    codes = _new_recovery_codes(user)
    db.session.commit()
    _tell_owner(user, "New recovery codes were made for your account. The old ones no longer work.")
    return codes


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def check_second_factor(user: User, code: str) -> str | None:
    """Spend a code: "app" for an authenticator code, "recovery" for a recovery code, None if it is wrong.

    Each is spent by one conditional UPDATE, so of two log-ins racing with the same code only one wins.
    """
    if not user.has_two_factor:
        return None
    step = _matching_step(user.totp_secret, code, time.time())
    if step is not None:
        spent = db.session.execute(
            update(User).where(User.id == user.id,
                               (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
            .values(totp_last_step=step).execution_options(synchronize_session=False))
        db.session.commit()
        return "app" if spent.rowcount == 1 else None
    if len(_normalise_recovery(code)) != 16:
        return None
    spent = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
                                   RecoveryCode.code_hash == _recovery_digest(code))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    return "recovery" if spent.rowcount == 1 else None


def _turn_off(user: User) -> None:
    user.totp_secret = user.two_factor_enabled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def turn_off(user: User) -> None:
    """The member turns two-factor off (staff may not: it is required for them)."""
    if user.is_staff:
        raise TwoFactorError("Moderators and admins need two-factor sign-in, so it cannot be turned off. You "
                             "can set up a new authenticator instead.")
    _turn_off(user)
    record_action(user, "two_factor_off", "user", user.id)
    db.session.commit()
    _tell_owner(user, "Two-factor sign-in was turned off for your account: logging in now needs only your "
                      "password.")


def reset_by_admin(actor: User | None, user: User, reason: str) -> None:
    """An admin removes a member's two-factor after checking who they are; audited, and every session ends."""
    reason = reason.strip()
    if not reason:
        raise TwoFactorError("Say how you checked who they are, for the audit log.", "reason")
    if not user.has_two_factor:
        raise TwoFactorError(f"{user.display_name} does not have two-factor sign-in on.")
    _turn_off(user)
    record_action(actor, "two_factor_reset", "user", user.id, reason=reason)
    sessions.end_other_sessions(user, commit=False)
    db.session.commit()
    _tell_owner(user, "The charity turned off two-factor sign-in for your account, as you asked, and logged it "
                      "out everywhere. You can set it up again from your account page.")
