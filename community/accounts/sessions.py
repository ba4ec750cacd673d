"""Where a person is logged in: one server-side row per log-in, checked on every request, and ended for real.

The session and remember cookies carry only a random id; its SHA-256 digest finds the row. Log-out deletes the
row, so a copied cookie is worth nothing afterwards. Rows also end by themselves: after an idle spell (longer
for "keep me logged in") and, whatever happens, after an absolute lifetime.
"""

import hashlib
import secrets
import threading
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from community.after_response import run_after_response
from community.extensions import db, utcnow

from .models import User, UserSession

# Writing last-seen on every request would turn every page view into a write; once a few minutes is plenty.
LAST_SEEN_PRECISION = timedelta(minutes=5)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _cutoffs(now: datetime) -> tuple[datetime, datetime, datetime]:
    """(last seen before this: over, if not remembered; last seen before this: over; created before this: over)."""
    config = current_app.config
    return (now - timedelta(seconds=config["SESSION_IDLE_TIMEOUT"]),
            now - timedelta(seconds=config["REMEMBERED_SESSION_IDLE_TIMEOUT"]),
            now - timedelta(seconds=config["SESSION_LIFETIME"]))


def _expired(row: UserSession, now: datetime) -> bool:
    short_idle, long_idle, too_old = _cutoffs(now)
    return (row.created_at < too_old or row.last_seen_at < long_idle
            or (not row.remembered and row.last_seen_at < short_idle))


def start_session(user: User, remembered: bool, user_agent: str = "", ip_address: str | None = None) -> str:
    """Record a finished log-in for `user` and return its random id (for the cookie).

    One commit for the whole log-in: the new row, the old rows gone, and the user's last log-in time.
    """
    now = utcnow()
    user.last_login_at = now
    token = secrets.token_urlsafe(32)
    row = UserSession(user=user, token_hash=token_digest(token), remembered=remembered, created_at=now,
                      last_seen_at=now, confirmed_at=now, device=describe_device(user_agent),
                      ip_address=(ip_address or "")[:45] or None)
    db.session.add(row)
    # Every log-in also sweeps away everyone's expired sessions (and the addresses kept with them), so none
    # outlives its time even where nobody has set up `flask users purge-sessions`.
    db.session.execute(_expired_sessions(now))
    db.session.commit()
    user.session_token, user.current_session = token, row
    return token


def load_user(token: str, ip_address: str | None = None) -> User | None:
    """The user of a live session (with its row on `user.current_session`); None once it has ended.

    One query loads the session, the user and their membership together.
    """
    row = db.session.scalar(_live_session_statement(), {"digest": token_digest(token)})
    if row is None:
        return None
    now = utcnow()
    if _expired(row, now):
        db.session.execute(delete(UserSession).where(UserSession.id == row.id))
        db.session.commit()
        return None
    if now - row.last_seen_at > LAST_SEEN_PRECISION:
        _note_activity(row, now, (ip_address or "")[:45] or row.ip_address)
    user = row.user
    user.session_token, user.current_session = token, row
    return user


@cache
def _live_session_statement():
    """Built once per process: every signed-in request runs it, and building it cost a sixth of its time."""
    return select(UserSession).where(UserSession.token_hash == bindparam("digest"))


def _note_activity(row: UserSession, now: datetime, ip_address: str | None) -> None:
    """Write last-seen beside the response, not inside the request.

    Not in the request's own transaction: committing it would expire the user and membership just loaded, and
    reloading them would cost every such page a second query. Not on a second connection either: a request
    holding one connection while it waits for another can deadlock the pool when every request in flight does
    the same (as the footer's settings once did). The after-response queue holds no other connection. The page
    itself sees the new time at once.
    """
    set_committed_value(row, "last_seen_at", now)
    set_committed_value(row, "ip_address", ip_address)
    session_id = row.id
    with _activity_lock:
        if session_id in _activity_queued:
            return  # this session's write is already on its way (its other requests arrive at the same moment)
        _activity_queued.add(session_id)

    def write() -> None:
        try:
            db.session.execute(update(UserSession).where(UserSession.id == session_id)
                               .values(last_seen_at=now, ip_address=ip_address))
            db.session.commit()
        finally:
            with _activity_lock:
                _activity_queued.discard(session_id)

    run_after_response(write)


_activity_queued: set[int] = set()
_activity_lock = threading.Lock()


def end_session(token: str) -> None:
    """Log out: the row goes, so this session's cookies open nothing any more."""
    db.session.execute(delete(UserSession).where(UserSession.token_hash == token_digest(token)))
    db.session.commit()


def end_session_by_id(user: User, session_id: int) -> bool:
    """Log out one of `user`'s own devices; False when there is no such session of theirs."""
    result = db.session.execute(delete(UserSession).where(UserSession.id == session_id,
                                                          UserSession.user_id == user.id))
    db.session.commit()
    return result.rowcount == 1


def end_other_sessions(user: User, keep: UserSession | None = None, commit: bool = True) -> int:
    """Log out every browser of `user` but `keep` (None: every one). Returns how many were ended."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    if commit:
        db.session.commit()
    return result.rowcount


def sessions_of(user: User, first: UserSession | None = None) -> list[UserSession]:
    """The user's live sessions: `first` (this browser's) at the top, then the most recently used."""
    now = utcnow()
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                              .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    live = [row for row in rows if not _expired(row, now)]
    return sorted(live, key=lambda row: first is None or row.id != first.id)


def _expired_sessions(now: datetime):
    """The same rule as _expired, as one DELETE."""
    short_idle, long_idle, too_old = _cutoffs(now)
    return delete(UserSession).where(or_(
        UserSession.created_at < too_old, UserSession.last_seen_at < long_idle,
        UserSession.remembered.is_(False) & (UserSession.last_seen_at < short_idle),
    )).execution_options(synchronize_session=False)


def purge_expired_sessions() -> int:
    """Delete every session past its idle time or lifetime (for cron); returns how many went."""
    result = db.session.execute(_expired_sessions(utcnow()))
    db.session.commit()
    return result.rowcount


# Sudo mode -------------------------------------------------------------------------------------------------

def mark_confirmed(row: UserSession) -> None:
    row.confirmed_at = utcnow()
    db.session.commit()


# Telling devices apart -------------------------------------------------------------------------------------

_BROWSERS = [("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"),
             ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
_SYSTEMS = [("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("CrOS", "ChromeOS"),
            ("Windows", "Windows"), ("Mac OS X", "Mac"), ("Macintosh", "Mac"), ("Linux", "Linux")]


def describe_device(user_agent: str) -> str:
    """A name a person recognises, like "Firefox on Android", from the browser's user agent."""
    user_agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "An unknown browser")


# Device cookies (OWASP's "slow down online guessing attacks with device cookies") --------------------------
#
# A browser that has logged in to an account before carries a signed note of it. Its failed log-ins are counted
# against that browser alone, so strangers guessing a password from elsewhere cannot lock the owner out.

DEVICE_COOKIE_ACCOUNTS = 5


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="community.device-cookie")


def _account_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def read_device_cookie(value: str | None) -> dict | None:
    if not value:
        return None
    try:
        data = _device_serializer().loads(value)
    except BadSignature:
        return None
    if not (isinstance(data, dict) and isinstance(data.get("n"), str) and isinstance(data.get("a"), list)):
        return None
    return data


def device_cookie_after_login(value: str | None, email: str) -> str:
    """The device cookie to set after a successful log-in: this account added to what the browser knew."""
    data = read_device_cookie(value) or {"n": secrets.token_urlsafe(16), "a": []}
    digest = _account_digest(email)
    accounts = [digest] + [known for known in data["a"] if known != digest]
    return _device_serializer().dumps({"n": data["n"], "a": accounts[:DEVICE_COOKIE_ACCOUNTS]})


def known_device_key(value: str | None, email: str) -> str | None:
    """A rate-limit key for this browser and account if it has logged in to it before, else None."""
    data = read_device_cookie(value)
    digest = _account_digest(email)
    if data is None or digest not in data["a"]:
        return None
    return f"device:{data['n']}:{digest}"
