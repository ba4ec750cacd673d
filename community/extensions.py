"""Flask extensions, created unbound here and bound to each app in create_app, plus shared column types."""

from datetime import UTC, datetime

from flask import current_app
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import DateTime, Index, MetaData, TypeDecorator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations can alter and drop them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Requests that change something. Every route answering one is counted by the site-wide write limit below.
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def person_or_address() -> str:
    """Whose request this is: the signed-in person (the same on every device and network), else the address.
    Reading current_user here loads them a little earlier in the request, not a second time: every request
    loads them anyway (community.permissions' before_request hook)."""
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return f"address:{get_remote_address()}"


# WRITE_LIMIT (community/config.py) counts every write to any route in one count per person, on top of a route's
# own tighter limits; reads are never counted. Exempt only with @limiter.exempt and a reason (the Stripe webhook):
# tests/core/test_write_limits.py fails for any other write route that is not limited.
limiter = Limiter(key_func=get_remote_address, application_limits=[ApplicationLimit(
    lambda: current_app.config["WRITE_LIMIT"], key_function=person_or_address, methods=WRITE_METHODS,
    scope="writes")])
# Bound by the Leaky Café feature (async_mode set explicitly, RedisManager when REDIS_URL is set).
socketio = SocketIO()


def commit_or_existing(find):
    """Commit the session and return None; or, when a unique constraint refuses the commit because another request
    made the same record first (the same "new ..." form sent twice at once, see community.forms.new_form_token),
    roll back and return what `find()` now finds. Re-raises when it finds nothing: then the conflict was another."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = find()
        if existing is None:
            raise
        return existing
    return None


def utcnow() -> datetime:
    """The current time as an aware UTC datetime: the only kind we store."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: use community.extensions.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def index_reference(column) -> Index:
    """An index on a nullable foreign key (`Model.column`), written after the model's class.

    The database looks these up itself whenever the row they point at is deleted: erasing a member sets their id
    to NULL wherever they hid a post or answered an appeal, and without an index each look-up reads the whole
    table (post.hidden_by_id: 60-90 ms of 100,000 posts on PostgreSQL). Only the rows that point somewhere are
    indexed: in most of these columns nearly every row is NULL. tests/core/test_migrations.py checks that every
    foreign key has an index."""
    column = column.expression
    return Index(f"ix_{column.table.name}_{column.name}", column,
                 postgresql_where=column.is_not(None), sqlite_where=column.is_not(None))
