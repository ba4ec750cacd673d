"""Security headers for every response, safe redirects, and the keys rate limits count by."""

import hashlib
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

# Pages need only our own stylesheet and images; features that need more (the chat) add to it via g.
BASE_CSP = {
    "default-src": "'none'",
    "style-src": "'self'",
    "img-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "object-src": "'none'",
}


def allow_in_csp(directive: str, *sources: str) -> None:
    """Let one response load more than the base policy allows (e.g. the chat page's script)."""
    extra = g.setdefault("csp_extra", {})
    extra.setdefault(directive, []).extend(sources)


def content_security_policy() -> str:
    policy = {key: [value] for key, value in BASE_CSP.items()}
    for directive, sources in g.get("csp_extra", {}).items():
        policy.setdefault(directive, [])
        policy[directive] = [s for s in policy[directive] if s != "'none'"] + sources
    return "; ".join(f"{key} {' '.join(values)}" for key, values in policy.items())


def set_security_headers(response):
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy()
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    # Nothing of ours is meant to be loaded into another site's page (images, styles, data).
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), interest-cohort=()"
    if current_app.config["HTTPS"]:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Anything shown to a signed-in person may carry their personal or health data: never store it.
    if not _is_indexable():
        headers["X-Robots-Tag"] = "noindex, nofollow"
    if request.endpoint == "static":
        # The same files for everyone, cached as community/assets.py says: no need to ask who is signed in.
        return response
    if current_user.is_authenticated or g.get("personal_data"):
        headers["Cache-Control"] = "no-store"
    elif "Cache-Control" not in headers and response.mimetype == "text/html":
        headers["Cache-Control"] = "no-cache"
    return response


def indexable(view):
    """Marks a public page search engines may list; every other response says noindex (members' pages, forms,
    admin), so nothing of a member's can end up in a search engine even if a link to it leaks."""
    view.indexable = True
    return view


def _is_indexable() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "indexable", False)) and not current_user.is_authenticated


def safe_next_url(target: str | None, fallback: str) -> str:
    """Only ever redirect within this site (a path), never to a URL someone slipped into ?next=."""
    # A huge one would also overflow the session cookie that carries it through a two-factor log-in.
    if not target or len(target) > 1000:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


def submitted_email_key() -> str:
    """Rate-limit key for per-account limits: a digest of the email typed, known account or not."""
    email = (request.form.get("email") or "").strip().lower()
    return "email:" + hashlib.sha256(email.encode()).hexdigest()


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in every route: only numbers a database id can be, so a guessed 30-digit id is a 404, not a 500
    from a number too big for the database's integer column."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    # Before any blueprint adds its routes, which is when converters are looked up.
    app.url_map.converters["int"] = DatabaseIdConverter
    app.after_request(set_security_headers)
