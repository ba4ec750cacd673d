"""Admins grant and revoke free membership (hardship waivers); every change is kept in the history."""

from datetime import date, timedelta

from community.extensions import utcnow
from community.membership import services
from community.membership.models import MembershipChange
from community.moderation.models import AuditEntry
from tests.conftest import submit
from tests.factories import make_user


def test_admin_grants_complimentary_membership_with_an_expiry(client, as_role, db):
    admin = as_role("admin")
    person = make_user(display_name="Kai")
    until = date.today() + timedelta(days=90)
    page = f"/admin/members/{person.id}"
    response = submit(client, f"{page}/grant", {"source": "complimentary", "expires_on": until.isoformat(),
                                                "reason": "hardship waiver"}, page=page)
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.membership.source == "complimentary" and person.membership.gives_access(utcnow())
    change = db.session.scalar(db.select(MembershipChange).where(MembershipChange.user_id == person.id))
    assert (change.from_state, change.to_state, change.reason, change.actor_id) == (
        "none", "complimentary active", "hardship waiver", admin.id)
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "grant_complimentary_membership"))
    assert "hardship waiver" in client.get(page).text


def test_admin_revokes_it_and_access_ends_at_once(client, as_role, db):
    admin = as_role("admin")
    person = make_user()
    services.grant_complimentary(admin, person, None, "hardship waiver")
    page = f"/admin/members/{person.id}"
    response = submit(client, f"{page}/revoke", {"reason": "asked to leave"}, page=page)
    assert response.status_code == 302
    db.session.refresh(person)
    assert not person.membership.gives_access(utcnow())
    states = [change.to_state for change in services.history(person)]
    assert states == ["complimentary revoked", "complimentary active"]


def test_a_grant_without_a_reason_is_refused_and_changes_nothing(client, as_role, db):
    as_role("admin")
    person = make_user()
    page = f"/admin/members/{person.id}"
    response = submit(client, f"{page}/grant", {"source": "complimentary", "reason": ""}, page=page)
    assert response.status_code == 400
    assert "Say why you are granting membership" in response.text
    assert "<title>Error: " in response.text
    db.session.refresh(person)
    assert person.membership is None


def test_an_expiry_in_the_past_is_refused(client, as_role, db):
    as_role("admin")
    person = make_user()
    page = f"/admin/members/{person.id}"
    response = submit(client, f"{page}/grant", {"source": "gift", "reason": "gift from a friend",
                                                "expires_on": (date.today() - timedelta(days=1)).isoformat()},
                      page=page)
    assert "The expiry date must be today or later" in response.text
    db.session.refresh(person)
    assert person.membership is None


def test_only_admins_reach_the_member_screens(client, as_role):
    person = make_user()
    as_role("moderator")
    assert client.get("/admin/members").status_code == 403
    assert client.get(f"/admin/members/{person.id}").status_code == 403


def test_admin_changes_a_role_but_not_their_own(client, as_role, db):
    admin = as_role("admin")
    person = make_user()
    response = submit(client, f"/admin/members/{person.id}/role", {"role": "moderator"},
                      page=f"/admin/members/{person.id}")
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.role == "moderator"
    own = submit(client, f"/admin/members/{admin.id}/role", {"role": "registered"}, page=f"/admin/members/{admin.id}")
    assert "You cannot remove your own admin role" in own.text
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_member_search_finds_by_email_or_name(client, as_role):
    as_role("admin")
    make_user("findme@example.org", display_name="Juniper")
    make_user("other@example.org", display_name="Basil")
    page = client.get("/admin/members?q=junip").text
    assert "findme@example.org" in page and "other@example.org" not in page


def test_the_history_is_in_plain_words(client, as_role):
    from community.membership import services
    from tests.factories import make_user

    as_role("admin")
    member = make_user()
    services.grant_complimentary(None, member, None, "hardship")
    page = client.get(f"/admin/members/{member.id}").text
    assert "No membership" in page and "Free membership" in page
    assert "complimentary active" not in page and "none" not in page.split("Membership history")[1]
