"""`guidelines_required`: for views where someone first writes for others to read (the forums' first post), send
anyone who has not agreed to the current community guidelines to /guidelines, and back again afterwards."""

from functools import wraps
from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for
from flask_login import current_user

from community.security import safe_next_url

from . import services


def _come_back_to() -> str | None:
    """This page for a GET; for a form sent from a page of ours, that page (the text typed is not kept)."""
    if request.method == "GET":
        return safe_next_url(request.full_path.rstrip("?"), "") or None
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host:
        return safe_next_url(referrer.path + (f"?{referrer.query}" if referrer.query else ""), "") or None
    return None


def guidelines_required(view):
    """Decorate a view (after the login or member check) so it opens only for people who agreed to the current
    community guidelines; the others go to /guidelines?next=<this page>, which brings them back."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        if not services.has_accepted_current_guidelines(current_user):
            flash("Before you post, please read our community guidelines and agree to them. It takes a minute.",
                  "info")
            return redirect(url_for("pages.guidelines", next=_come_back_to()))
        return view(*args, **kwargs)
    return wrapper
