"""Erasing an account: every part of the member's data goes, or stays without their name, in one transaction.

Each feature's part first does what only it knows (registry.PersonalData.erase: Stripe, a choice about posts,
records the law keeps). Then the user row is deleted with `delete_rows`, which gives every column naming the member
what its foreign key says: ON DELETE CASCADE rows are deleted, SET NULL columns emptied. PostgreSQL would do that
itself, but SQLite (its foreign-key pragma off, as Alembic's table rebuilds need) would leave the ids behind, so it
is done here for both, rows pointing at deleted rows included. That also ends every session: each login is a row
of user_session."""

import secrets

from sqlalchemy import ColumnElement, Table, delete, func, select, update

from community.accounts.models import User
from community.extensions import db
from community.mail import send_email

from . import registry
from .registry import Erasure, ErasureBlocked

__all__ = ["Erasure", "ErasureBlocked", "delete_rows", "erase_member", "new_pseudonym", "say_goodbye"]


def new_pseudonym() -> str:
    """Random, so nothing about the member can be worked back from it."""
    return f"Former member {secrets.token_hex(3).upper()}"


def delete_rows(table: Table, where: ColumnElement[bool]) -> None:
    """Delete `table`'s rows matching `where`, first applying to rows that point at them what their foreign keys
    say (CASCADE: delete them too; SET NULL: empty the column), as PostgreSQL does and SQLite here does not."""
    for child in db.metadata.sorted_tables:
        for key in child.foreign_keys:
            if key.column.table is not table:
                continue
            pointing = key.parent.in_(select(key.column).where(where))
            if key.ondelete == "CASCADE" and child is not table:
                delete_rows(child, pointing)
            elif key.ondelete == "SET NULL":
                db.session.execute(update(child).where(pointing).values({key.parent.name: None}))
    db.session.execute(delete(table).where(where))


def erase_member(user: User, *, keep_writing: bool, admin: User | None = None, reason: str = "") -> str:
    """Erase `user`'s account and commit; returns the pseudonym the audit log now calls them. Raises ErasureBlocked
    (nothing erased, nothing committed) when a part cannot do its share, e.g. Stripe is out of reach."""
    if user.role == "admin" and db.session.scalar(select(func.count()).where(User.role == "admin")) <= 1:
        raise ErasureBlocked("This is the site's only administrator account. Make someone else an administrator "
                             "first, so the charity can still look after the site.")
    # Two erasures of one account at once (a double tap): the second waits here, then finds nothing to erase.
    if db.session.execute(select(User.id).where(User.id == user.id).with_for_update()).first() is None:
        raise ErasureBlocked("This account has already been erased.")
    erasure = Erasure(keep_writing=keep_writing, pseudonym=new_pseudonym(), admin=admin, reason=reason.strip())
    user_id = user.id
    try:
        for part in registry.parts():
            if part.erase is not None:
                part.erase(user, erasure)
        delete_rows(User.__table__, User.__table__.c.id == user_id)
        # Out of the session before the commit expires it, so the caller can still read it (log-out does).
        db.session.expunge(user)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return erasure.pseudonym


def say_goodbye(email: str, name: str, by_admin: bool) -> None:
    """The last email: what was erased, and where help is (the layout's footer). Sent after the commit, so a mail
    outage never undoes the erasure."""
    send_email(email, "Your account has been erased", "account_erased",
               reason=("you asked us to erase your Target CSF Leaks account" if by_admin
                       else "you erased your Target CSF Leaks account"), name=name, by_admin=by_admin)
