"""`flask privacy purge`, the daily cron job: what is past its time goes (expired log-in sessions, café messages past
their retention, accounts never verified after 30 days, Gift Aid records of erased accounts after seven years),
and nothing else does."""

from datetime import timedelta

from sqlalchemy import func, select

from community.accounts import sessions
from community.accounts.models import User, UserSession
from community.cafe.models import CafeMessage, CafeSession
from community.extensions import db, utcnow
from community.membership.models import GiftAidDeclaration, MembershipPayment
from tests.cafe.processes import open_session_covering_now
from tests.factories import make_member, make_user


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _age(row, days: int, *columns: str) -> None:
    for column in columns:
        setattr(row, column, utcnow() - timedelta(days=days))


def test_purge_removes_what_is_past_its_time_and_nothing_else(app, runner):
    keeper = make_member()
    sessions.start_session(keeper, remembered=False)
    stale_user = make_member()
    sessions.start_session(stale_user, remembered=False)
    for row in db.session.scalars(select(UserSession).where(UserSession.user_id == stale_user.id)):
        _age(row, 400, "created_at", "last_seen_at")
    old_unverified = make_user(verified=False)
    _age(old_unverified, 31, "created_at")
    new_unverified = make_user(verified=False)
    _age(new_unverified, 29, "created_at")
    old_verified = make_user()
    _age(old_verified, 400, "created_at")

    old_room = db.session.get(CafeSession, open_session_covering_now())
    old_room.starts_at -= timedelta(days=40)
    old_room.ends_at -= timedelta(days=40)
    db.session.add(CafeMessage(session_id=old_room.id, author_id=keeper.id, kind="message", body="Long ago."))
    room = db.session.get(CafeSession, open_session_covering_now())
    db.session.add(CafeMessage(session_id=room.id, author_id=keeper.id, kind="message", body="Tonight."))

    long_ago, lately = utcnow() - timedelta(days=8 * 365), utcnow() - timedelta(days=365)
    for reference, when in (("donor-old", long_ago), ("donor-recent", lately)):
        db.session.add(GiftAidDeclaration(user_id=None, donor_reference=reference, wording_version="2026-11",
                                          first_name="A", last_name="B", house="1", address="x", postcode="LS1 1AA",
                                          declared_at=when))
        db.session.add(MembershipPayment(user_id=None, donor_reference=reference, invoice_id=f"in_{reference}",
                                         amount_pence=800, currency="gbp", paid_at=when))
    db.session.commit()
    ids = {name: person.id for name, person in (("old_unverified", old_unverified), ("new_unverified", new_unverified),
                                                 ("old_verified", old_verified), ("stale", stale_user),
                                                 ("keeper", keeper))}

    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 account(s) never verified" in result.output and "1 message(s)" in result.output
    assert db.session.get(User, ids.pop("old_unverified")) is None
    for user_id in ids.values():
        assert db.session.get(User, user_id) is not None
    assert _count(UserSession, UserSession.user_id == ids["stale"]) == 0
    assert _count(UserSession, UserSession.user_id == ids["keeper"]) == 1
    assert [body for (body,) in db.session.execute(select(CafeMessage.body))] == ["Tonight."]
    assert [ref for (ref,) in db.session.execute(select(GiftAidDeclaration.donor_reference))] == ["donor-recent"]
    assert [ref for (ref,) in db.session.execute(select(MembershipPayment.donor_reference))] == ["donor-recent"]

    again = runner.invoke(args=["privacy", "purge"])
    assert "removed 0 expired log-in session(s) and 0 account(s)" in again.output
