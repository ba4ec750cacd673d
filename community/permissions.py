"""Who may do what: every access rule of the site, used by routes, socket events and templates alike."""

from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from flask_login import login_required as _flask_login_required

from community.extensions import utcnow
from community.security import safe_next_url

# Moderators and admins both look after the community: the café's hosts, the queue's readers, "staff" on a post.
STAFF_ROLES = ("moderator", "admin")


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.role == "admin")


def is_moderator(user) -> bool:
    return bool(user and user.is_authenticated and user.role in STAFF_ROLES)


# The demo's own accounts (`flask demo seed`), spared two-factor while DEMO_MODE keeps the demo explorable.
DEMO_EMAIL_DOMAIN = "@demo.test"


def needs_two_factor_setup(user) -> bool:
    """Staff must have two-factor sign-in on before staff pages open."""
    if not is_moderator(user) or getattr(user, "has_two_factor", False):
        return False
    return not (current_app.config["DEMO_MODE"] and user.email.endswith(DEMO_EMAIL_DOMAIN))


# What a moderator may put on a member's account (community.moderation sets it; it ends by itself).
RESTRICTIONS = ("silenced", "suspended", "banned")


def restriction_of(user) -> str | None:
    """The member's restriction in force now: "silenced" (may read, not write), "suspended" or "banned" (only
    their own data), or None, also once its end has passed."""
    if not (user and user.is_authenticated):
        return None
    kind = getattr(user, "restriction", None)
    until = getattr(user, "restricted_until", None)
    if kind is None or (until is not None and until <= utcnow()):
        return None
    return kind


def is_suspended(user) -> bool:
    """Suspended or banned: the member keeps their own data (notices, appeal, export, erasure) and nothing else."""
    return restriction_of(user) in ("suspended", "banned")


def can_write(user) -> bool:
    """May post, reply, edit, react and write in the café: a member who is not silenced or suspended."""
    return has_member_access(user) and restriction_of(user) is None


def has_member_access(user) -> bool:
    """True for staff, and for a verified account whose membership currently gives access (DESIGN.md), unless a
    moderator has suspended it."""
    if not (user and user.is_authenticated) or is_suspended(user):
        return False
    if is_moderator(user):
        return True
    membership = getattr(user, "membership", None)
    return user.is_verified and membership is not None and membership.gives_access(utcnow())


# Who each page is for. Every view carries one of these as its `access` attribute, set by the decorators
# below, and tests/core/test_route_permissions.py checks every route of the app against it for every role.
ACCESS_LEVELS = ("public", "login", "member", "moderator", "admin")


def _for(level: str, view):
    view.access = level
    return view


def public(view):
    """Open to everyone, logged in or not (and to suspended members)."""
    return _for("public", view)


def login_required(view):
    """Anyone logged in (Flask-Login's rule: the rest are sent to log in)."""
    return _for("login", _flask_login_required(view))


def open_when_suspended(view):
    """A page about a member's own standing, data or money, which a suspended member keeps (DESIGN.md): their
    notices and appeals, stopping their payments and Gift Aid, and (later) export and erasure."""
    view.open_when_suspended = True
    return view


def member_required(view):
    """Members-only page: anyone without access is sent to /membership, which explains how to join (a suspended
    member is sent to their notice before this, by `init_app`)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not has_member_access(current_user):
            return redirect(url_for("membership.index", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return _for("member", wrapper)


def _role_required(check, view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        if not check(current_user):
            abort(403)
        if needs_two_factor_setup(current_user):
            flash("Set up two-factor sign-in first, then that page opens.", "info")
            return redirect(url_for("accounts.two_factor_settings"))
        return view(*args, **kwargs)
    return wrapper


# "Sudo mode": proving who you are again (logging in counts) opens, for a while, the pages that change how someone
# logs in or what another person may do.
RECENT_CONFIRMATION = timedelta(minutes=10)


def recently_confirmed(user) -> bool:
    row = getattr(user, "current_session", None)
    return row is not None and utcnow() - row.confirmed_at < RECENT_CONFIRMATION


def _where_to_come_back() -> str:
    """After confirming, back to this page; for a form sent from a page, back to that page."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    fallback = url_for("accounts.account")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host:
        return safe_next_url(referrer.path + (f"?{referrer.query}" if referrer.query else ""), fallback)
    return fallback


def recent_confirmation_required(view):
    """Ask for the password (and a code) again first, if the person last proved who they are a while ago."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not recently_confirmed(current_user):
            if request.method != "GET":
                flash("Nothing has changed yet: confirm it is you, then make the change again.", "info")
            return redirect(url_for("accounts.confirm_identity", next=_where_to_come_back()))
        return view(*args, **kwargs)
    return wrapper


def admin_required(view):
    return _for("admin", _role_required(is_admin, view))


def moderator_required(view):
    return _for("moderator", _role_required(is_moderator, view))


def _keep_suspended_members_to_their_own_data():
    """A suspended or banned member may open public pages and those marked `open_when_suspended`; anything else
    sends them to their notice, which says why and until when."""
    if not current_user.is_authenticated or not is_suspended(current_user):
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or request.endpoint == "static" or getattr(view, "access", None) == "public" \
            or getattr(view, "open_when_suspended", False):
        return None
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("moderation.standing"))
    abort(403)


def init_app(app: Flask) -> None:
    """Expose the rules to templates, so a page never offers what the server would refuse."""
    app.jinja_env.globals.update(is_admin=is_admin, is_moderator=is_moderator, can_write=can_write,
                                 has_member_access=has_member_access, needs_two_factor_setup=needs_two_factor_setup,
                                 restriction_of=restriction_of)
    app.before_request(_keep_suspended_members_to_their_own_data)


class MissingAccessRule(RuntimeError):
    """A view says nothing about who may open it."""


def check_every_view_has_access(app: Flask) -> None:
    """Refuse to build the app while any view (Flask's own `static` aside) lacks an access rule, so a route added
    later cannot forget to say who it is for. create_app calls this once every route is registered."""
    missing = sorted(endpoint for endpoint, view in app.view_functions.items()
                     if endpoint != "static" and getattr(view, "access", None) not in ACCESS_LEVELS)
    if missing:
        raise MissingAccessRule(
            f"These views do not say who may open them: {', '.join(missing)}. Decorate each with one of "
            "public, login_required, member_required, moderator_required or admin_required from "
            "community.permissions (and open_when_suspended if a suspended member keeps it).")
