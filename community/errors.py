"""Friendly error pages: what happened, in plain words, and what to do next."""

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from community.extensions import db

# Field names never shown back after a refused form, even to the person who typed them.
_SECRET_FIELDS = ("password", "csrf_token", "current_password", "new_password")


def _sent_from_this_site() -> bool:
    """Browsers name the page a form came from; a post from another site must not put its words on ours."""
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    own = request.host_url.rstrip("/")
    return source == own or source.startswith(own + "/")


def _typed_text() -> list[tuple[str, str]]:
    """What someone wrote in a form that could not be accepted, so it can be shown back and not lost."""
    if request.method != "POST" or not _sent_from_this_site():
        return []
    return [(name, value) for name, value in request.form.items()
            if name not in _SECRET_FIELDS and len(value.strip()) > 0 and name != "action"]


def handle_csrf_error(error: CSRFError):
    return render_template("errors/csrf.html", typed=_typed_text()), 400


def handle_http_error(error: HTTPException):
    code = error.code or 500
    template = f"errors/{code}.html" if code in (400, 403, 404, 405, 413, 429) else "errors/500.html"
    # A body too large to accept is never read, so there is nothing typed to show back.
    typed = [] if code == 413 else _typed_text()
    return render_template(template, error=error, typed=typed), code


def handle_server_error(error):
    db.session.rollback()
    return render_template("errors/500.html", typed=_typed_text()), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(500, handle_server_error)
