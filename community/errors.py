"""Friendly error pages: what happened, in plain words, and what to do next."""

import logging

from flask import Flask, g, has_request_context, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from community.extensions import db, login_manager

log = logging.getLogger(__name__)

# The database did not answer: restarting, unreachable, or every pooled connection busy. Temporary, so a 503.
DATABASE_AWAY = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
# What the 503 tells browsers and proxies: worth another try after this many seconds.
DATABASE_RETRY_AFTER_SECONDS = 30

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


@event.listens_for(Session, "before_commit")
def _note_commit_attempt(session) -> None:
    """A request that got as far as committing may have saved something, even if the answer to the commit was
    lost: the 503 page must not then say that nothing was saved."""
    if has_request_context():
        g.commit_attempted = True


@event.listens_for(Engine, "handle_error")
def _remember_that_the_database_is_away(context) -> None:
    """A connection that could not be made, or was lost, in this request: the database is away for the rest of it.
    A failed pre-ping is not counted: that is a pooled connection gone stale, and the pool makes a fresh one."""
    if has_request_context() and not context.is_pre_ping and (context.is_disconnect or context.connection is None):
        g.database_away = True


@event.listens_for(Engine, "do_connect")
def _wait_for_the_database_once_per_request(dialect, connection_record, cargs, cparams):
    """Code that carries on after a database error (the footer's settings, a thread's read mark) would otherwise
    wait out a second connect timeout against a database that is not answering, and the calm 503 would take twice
    as long to come. Once is enough in one request; the next request tries again."""
    if has_request_context() and g.get("database_away"):
        raise dialect.loaded_dbapi.OperationalError("not tried: the database did not answer earlier in this request")


def handle_database_away(error):
    """A calm 503 while the database is away. It never asks the database anything (not even who is logged in),
    keeps what the person typed on screen, and says honestly whether it may have been saved."""
    # One line, without the statement or its parameters (they can hold what a member wrote).
    log.error("Database unreachable during %s %s: %s: %s", request.method, request.path, type(error).__name__,
              str(getattr(error, "orig", None) or error).strip().splitlines()[0][:300])
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - a connection already gone: the session is discarded at teardown anyway
        log.debug("Rollback after a database failure also failed", exc_info=True)
    if "_login_user" not in g:
        # Not looked up yet (or the look-up is what failed): the response's headers ask for current_user, and
        # asking would try the database again. Anonymous for this one response; their log-in is untouched.
        g._login_user = login_manager.anonymous_user()
    g.personal_data = True  # never cached: it may show what someone typed
    typed = _typed_text()
    html = render_template("errors/503.html", typed=typed, maybe_saved=bool(g.get("commit_attempted")))
    return html, 503, {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}


def handle_pending_rollback(error: PendingRollbackError):
    """Code that caught a database error and carried on leaves the session waiting for a rollback. When what it
    caught was a lost connection (SQLAlchemy's code 8s2b), the database went away: the same calm 503."""
    if error.code == "8s2b":
        return handle_database_away(error)
    raise error  # any other cause is a bug: the usual 500 (and, in tests, the exception itself)


def _end_session_even_if_the_database_went_away(error) -> None:
    """Ending a request's session rolls back on its connection; if the database went away after the page was
    made, that rollback fails and would turn a finished page into a bare 500. The connection is dead anyway: drop
    it (the pool replaces it) and let the page go out."""
    try:
        db.session.remove()
    except DATABASE_AWAY as failure:
        log.warning("The database went away before the end of a request: %s", type(failure).__name__)
        db.session.registry.clear()


def init_app(app: Flask) -> None:
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (Flask runs them last-registered first).
    app.teardown_appcontext(_end_session_even_if_the_database_went_away)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(500, handle_server_error)
    for database_away in DATABASE_AWAY:
        app.register_error_handler(database_away, handle_database_away)
    app.register_error_handler(PendingRollbackError, handle_pending_rollback)
