"""The Target CSF Leaks community platform: create_app builds the whole site from its settings."""

import logging
from email.utils import parseaddr
from pathlib import Path

from flask import Flask, request
from sqlalchemy import text
from sqlalchemy.engine import make_url
from werkzeug.middleware.proxy_fix import ProxyFix

from community import assets, dates, errors, forms, links, permissions, security
from community.config import load_config
from community.extensions import csrf, db, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    """Build the app from the environment; `config` overrides settings (tests use it)."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.update(load_config(app.instance_path))
    app.config.update(config or {})
    logging.basicConfig(level=logging.INFO)
    _keep_instance_folder_private(app)
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        # Rate limits count per visitor's address, not the proxy's; https is known from the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    # First, so its after_request (compression) runs after every other one.
    assets.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    _init_login(app)
    security.init_app(app)
    permissions.init_app(app)
    errors.init_app(app)
    dates.init_app(app)
    _register_blueprints(app)
    _register_template_helpers(app)

    @app.get("/healthz")
    @permissions.public
    def healthz():
        """For load balancers and uptime checks: 200 when the database answers."""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means unhealthy
            logging.getLogger(__name__).exception("Health check failed")
            return {"status": "error", "database": "unreachable"}, 503
        return {"status": "ok", "database": "ok"}

    permissions.check_every_view_has_access(app)
    return app


def _keep_instance_folder_private(app: Flask) -> None:
    """instance/ holds the development key, the SQLite database and the email outbox: only our user may read it."""
    instance = Path(app.instance_path)
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    private = {instance: 0o700}
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        # Flask-SQLAlchemy reads a relative SQLite path as relative to instance/.
        database = instance / url.database
        if database.parent.resolve() == instance.resolve() and database.is_file():
            private[database] = 0o600
    for path, mode in private.items():
        if path.stat().st_mode & 0o077:
            try:
                path.chmod(mode)
            except OSError:  # e.g. a folder owned by another user: the app still works, so say so and go on
                logging.getLogger(__name__).warning("Could not make %s private (chmod %o)", path, mode)


def _init_login(app: Flask) -> None:
    from community.accounts import sessions

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Log in to see that page."
    login_manager.login_message_category = "info"
    # The session and remember cookies hold only a session's random id; its server-side row must still be live.
    login_manager.user_loader(lambda token: sessions.load_user(token, request.remote_addr))


def _register_blueprints(app: Flask) -> None:
    from community import (  # noqa: F401
        accounts,
        admin,
        cafe,
        demo,
        forums,
        lounge,
        membership,
        moderation,
        notifications,
        pages,
        privacy,
        stories,
    )

    for feature in (pages, accounts, membership, forums, notifications, moderation, cafe, stories, lounge, privacy,
                    admin, demo):
        app.register_blueprint(feature.bp)
    # `flask backup` and `flask restore` (community/backups: shared, no blueprint).
    from community.backups import cli as backups_cli
    app.cli.add_command(backups_cli.backup)
    app.cli.add_command(backups_cli.restore)
    # Models of packages without a blueprint still belong to the schema.
    from community.forums import models as forum_models  # noqa: F401
    from community.notifications import models as notification_models  # noqa: F401


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals["demo_mode"] = app.config["DEMO_MODE"]
    app.jinja_env.globals["radio_buttons"] = forms.radio_buttons
    links.init_app(app)
    # Where people can write to the charity: the address its emails come from.
    app.jinja_env.globals["charity_email"] = parseaddr(app.config["MAIL_DEFAULT_SENDER"])[1]
