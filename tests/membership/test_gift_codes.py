"""Gift memberships by code: made by an admin and shown once, stored only as a hash, used once by one person."""

import hashlib
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from community.extensions import utcnow
from community.membership import gifts, services
from community.membership.models import GiftCode, Membership, MembershipChange
from community.moderation.models import AuditEntry
from tests.conftest import submit
from tests.factories import make_member, make_user

CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")


def uk_today() -> date:
    return utcnow().astimezone(ZoneInfo("Europe/London")).date()


def uk_day(moment) -> date:
    return moment.astimezone(ZoneInfo("Europe/London")).date()


@pytest.fixture
def admin(db):
    return make_user(role="admin", display_name="Alex Admin")


def new_code(admin, note="Sam, raffle prize"):
    return gifts.create_gift_code(admin, note)


def test_admin_makes_a_code_and_sees_it_once(client, as_role, db):
    as_role("admin")
    response = submit(client, "/admin/gift-codes", {"note": "Sam, raffle prize at the spring walk"})
    assert response.status_code == 200
    code = CODE.search(response.text).group(0)
    assert "Copy the code now" in response.text
    assert response.headers["Cache-Control"] == "no-store"
    gift = db.session.scalar(select(GiftCode))
    assert gift.note == "Sam, raffle prize at the spring walk" and gift.hint == code.replace("-", "")[-4:]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "create_gift_code"))
    # Never again: the list shows the last 4 characters only.
    listing = client.get("/admin/gift-codes").text
    assert code not in listing and gift.hint in listing and "Not used yet" in listing


def test_the_code_is_never_stored_in_plain_text(admin, db):
    gift, code = new_code(admin)
    plain = code.replace("-", "")
    assert gift.code_hash == hashlib.sha256(plain.encode()).hexdigest()
    row = db.session.execute(select(GiftCode.__table__)).one()
    for value in row:
        assert not (isinstance(value, str) and (plain in value or code in value))


def test_codes_are_easy_to_type_and_never_repeat(admin):
    codes = [new_code(admin, f"person {number}")[1] for number in range(20)]
    assert len(set(codes)) == 20
    for code in codes:
        assert CODE.fullmatch(code)
        assert not set(code) & set("01ILO5S")


def test_a_note_is_needed(client, as_role, db):
    as_role("admin")
    response = submit(client, "/admin/gift-codes", {"note": "  "})
    assert response.status_code == 400
    assert "<title>Error: " in response.text and "Say who the code is for" in response.text
    assert db.session.scalar(select(func.count()).select_from(GiftCode)) == 0


def test_a_member_starts_a_years_gift_with_a_code_typed_loosely(client, login, admin, db):
    gift, code = new_code(admin)
    person = make_user(display_name="Sam")
    login(person)
    typed = " " + code.lower().replace("-", " ") + " "
    response = submit(client, "/membership/gift", {"code": typed})
    assert response.status_code == 302 and response.location.endswith("/membership")
    db.session.refresh(person)
    membership = person.membership
    assert membership.source == "gift" and membership.gives_access(utcnow())
    assert uk_day(membership.expires_at) == gifts._add_months(uk_today(), 12)
    assert "your gift membership is on" in client.get("/membership").text
    db.session.refresh(gift)
    assert gift.redeemed_by_id == person.id and gift.redeemed_at is not None


def test_a_code_works_once_only(client, login, admin, db):
    gift, code = new_code(admin)
    first, second = make_user(display_name="First"), make_user(display_name="Second")
    gifts.redeem_gift_code(first, code)
    with pytest.raises(gifts.GiftCodeError, match="already been used"):
        gifts.redeem_gift_code(second, code)
    login(first)
    again = submit(client, "/membership/gift", {"code": code})
    assert again.status_code == 400 and "You have already used this code" in again.text
    db.session.refresh(second)
    assert second.membership is None
    assert db.session.scalar(select(func.count()).select_from(Membership).where(Membership.source == "gift")) == 1
    changes = db.session.scalars(select(MembershipChange).where(MembershipChange.user_id == first.id)).all()
    assert len(changes) == 1


def test_two_people_racing_for_one_code_only_one_gets_it(admin, db, monkeypatch):
    """The code is claimed with a conditional UPDATE: a claim that lands between our checks and ours wins."""
    gift, code = new_code(admin)
    winner, loser = make_user(), make_user()
    checks_passed = gifts._gift_ends_on

    def someone_else_claims_it_meanwhile(*args):
        with db.engine.begin() as connection:
            connection.execute(update(GiftCode).where(GiftCode.id == gift.id)
                               .values(redeemed_at=utcnow(), redeemed_by_id=winner.id))
        return checks_passed(*args)

    monkeypatch.setattr(gifts, "_gift_ends_on", someone_else_claims_it_meanwhile)
    with pytest.raises(gifts.GiftCodeError, match="just been used"):
        gifts.redeem_gift_code(loser, code)
    db.session.refresh(loser)
    assert loser.membership is None
    db.session.refresh(gift)
    assert gift.redeemed_by_id == winner.id


def test_a_cancelled_code_is_refused(client, as_role, db):
    admin = as_role("admin")
    gift, code = new_code(admin)
    response = submit(client, f"/admin/gift-codes/{gift.id}/revoke", {}, page="/admin/gift-codes")
    assert response.status_code == 302
    assert f"The code ending {gift.hint} is cancelled" in client.get("/admin/gift-codes").text
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "revoke_gift_code"))
    person = make_user()
    with pytest.raises(gifts.GiftCodeError, match="cancelled"):
        gifts.redeem_gift_code(person, code)
    db.session.refresh(person)
    assert person.membership is None


def test_a_used_code_cannot_be_cancelled_and_an_unknown_one_is_not_found(client, as_role, db):
    admin = as_role("admin")
    gift, code = new_code(admin)
    gifts.redeem_gift_code(make_user(display_name="Kai"), code)
    submit(client, f"/admin/gift-codes/{gift.id}/revoke", {}, page="/admin/gift-codes")
    page = client.get("/admin/gift-codes").text
    assert "has already been used, so it cannot be cancelled" in page
    assert "Kai" in page and "Used" in page
    assert submit(client, "/admin/gift-codes/999/revoke", {}, page="/admin/gift-codes").status_code == 404


def test_an_unknown_or_expired_code_is_refused(admin, db):
    gift, code = new_code(admin)
    person = make_user()
    with pytest.raises(gifts.GiftCodeError, match="could not find that code"):
        gifts.redeem_gift_code(person, "AAAA-BBBB-CCCC-DDDD")
    db.session.execute(update(GiftCode).values(redeem_by=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    with pytest.raises(gifts.GiftCodeError, match="run out"):
        gifts.redeem_gift_code(person, code)
    db.session.refresh(gift)
    assert gift.redeemed_at is None


def test_someone_who_already_pays_is_asked_to_pass_the_code_on(client, login, admin, db):
    gift, code = new_code(admin)
    member = make_member()
    login(member)
    response = submit(client, "/membership/gift", {"code": code})
    assert response.status_code == 400 and "pass it on to someone else" in response.text
    db.session.refresh(gift)
    db.session.refresh(member)
    assert gift.redeemed_at is None and member.membership.source == "stripe"


def test_a_gift_is_added_after_a_free_membership_that_ends_later(admin, db):
    person = make_user()
    ends = uk_today() + timedelta(days=100)
    services.grant_complimentary(admin, person, ends, "hardship waiver")
    _, code = new_code(admin)
    membership = gifts.redeem_gift_code(person, code)
    assert uk_day(membership.expires_at) == gifts._add_months(ends, 12)


def test_an_account_not_yet_confirmed_cannot_use_a_code(client, login, admin, db):
    gift, code = new_code(admin)
    person = make_user(verified=False)
    with pytest.raises(gifts.GiftCodeError, match="Confirm your email address"):
        gifts.redeem_gift_code(person, code)
    db.session.refresh(gift)
    assert gift.redeemed_at is None


def test_guessing_codes_is_slowed_down(client, login, db):
    login(make_user())
    page = client.get("/membership/gift")
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)
    answers = [client.post("/membership/gift", data={"code": f"AAAA-BBBB-CCCC-DDD{number}", "csrf_token": token})
               .status_code for number in range(6)]
    assert answers == [400, 400, 400, 400, 400, 429]
    # Looking at the page is not counted.
    assert client.get("/membership/gift").status_code == 200


def test_adding_months_keeps_to_the_end_of_short_months():
    assert gifts._add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert gifts._add_months(date(2027, 3, 15), 12) == date(2028, 3, 15)
    assert gifts._add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
