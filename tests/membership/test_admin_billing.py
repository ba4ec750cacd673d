"""The admins' membership screens: the members list by membership and its download, Stripe's webhook events, and
the Gift Aid claim. Only admins open them."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from community.extensions import utcnow
from community.membership import gift_aid, gifts, services
from community.membership.models import MembershipPayment, StripeEvent
from community.moderation.models import AuditEntry
from tests.conftest import csrf_token_from
from tests.factories import make_user

ADMIN_PAGES = ["/admin/gift-codes", "/admin/stripe-events", "/admin/gift-aid", "/admin/members.csv",
               "/admin/gift-aid?start=2026-01-01&end=2026-12-31", "/admin/members?membership=gift"]


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.text)))


# Who may open them ------------------------------------------------------------------------------------------

def test_a_member_cannot_open_any_of_the_admin_screens(client, as_role, db):
    admin = make_user(role="admin")
    gift, _ = gifts.create_gift_code(admin, "for someone")
    as_role("member")
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 403, url
    token = csrf_token_from(client.get("/membership/gift").text)
    assert client.post("/admin/gift-codes", data={"note": "me", "csrf_token": token}).status_code == 403
    assert client.post(f"/admin/gift-codes/{gift.id}/revoke", data={"csrf_token": token}).status_code == 403
    db.session.refresh(gift)
    assert gift.revoked_at is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action.like("download_%"))) is None


def test_someone_logged_out_is_sent_to_log_in(client):
    for url in [*ADMIN_PAGES, "/membership/gift"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url


def test_the_admin_hub_links_to_the_new_screens(client, as_role):
    as_role("admin")
    page = client.get("/admin").text
    for url in ("/admin/gift-codes", "/admin/stripe-events", "/admin/gift-aid"):
        assert f'href="{url}"' in page


# The members list by membership -----------------------------------------------------------------------------

@pytest.fixture
def people(db):
    """One account in each membership state, by a name that says which."""
    now = utcnow()
    admin = make_user(role="admin", display_name="Admin")
    made = {"admin": admin}

    def person(name):
        made[name] = make_user(f"{name}@example.org", display_name=name)
        return made[name]

    services.apply_subscription_state(person("paying"), "active", now + timedelta(days=200), "test")
    services.apply_subscription_state(person("trial"), "trialing", now + timedelta(days=10), "test")
    services.apply_subscription_state(person("failing"), "past_due", now + timedelta(days=300), "test")
    services.apply_subscription_state(person("stopping"), "active", now + timedelta(days=30), "test",
                                      cancel_at_period_end=True)
    services.apply_subscription_state(person("cancelled"), "canceled", now + timedelta(days=20), "test")
    services.apply_subscription_state(person("lapsed"), "canceled", now - timedelta(days=2), "test")
    services.apply_subscription_state(person("unpaid"), "unpaid", now - timedelta(days=2), "test")
    services.grant_complimentary(admin, person("waived"), None, "hardship")
    services.grant_complimentary(admin, person("gifted"), date.today() + timedelta(days=90), "gift", "gift")
    services.grant_complimentary(admin, person("revoked"), None, "hardship")
    services.revoke_complimentary(admin, made["revoked"], "asked")
    services.grant_complimentary(admin, person("expired"), date.today(), "short")
    person("nobody")
    return made


EXPECTED = {
    "access": {"paying", "trial", "failing", "stopping", "cancelled", "waived", "gifted"},
    "paying": {"paying", "trial", "stopping"},
    "failing": {"failing"},
    "not_renewing": {"stopping", "cancelled"},
    "complimentary": {"waived"},
    "gift": {"gifted"},
    "ended": {"lapsed", "unpaid", "revoked"},
    "none": {"nobody", "Admin"},
}


def names(membership: str) -> set[str]:
    return {user.display_name for user in services.search_members("", 1, membership).items}


def test_each_membership_filter_finds_the_right_people(people, db, monkeypatch):
    # "expired" ran out at the end of today: look from tomorrow, when it has.
    tomorrow = utcnow() + timedelta(days=1, hours=1)
    monkeypatch.setattr(services, "utcnow", lambda: tomorrow)
    expected = {**EXPECTED, "ended": EXPECTED["ended"] | {"expired"}}
    for membership, wanted in expected.items():
        assert names(membership) == wanted, membership
    assert names("all") == set(people) - {"admin"} | {"Admin"}
    assert names("nonsense") == names("all")


def test_the_access_filter_says_what_the_membership_rule_says(people, db):
    now = utcnow()
    with_access = names("access")
    for user in people.values():
        if user.membership is not None:
            assert (user.display_name in with_access) == user.membership.gives_access(now), user.display_name


def test_the_list_shows_status_source_and_date_in_plain_words(client, login, people):
    login(people["admin"])
    page = client.get("/admin/members?membership=not_renewing").text
    assert "Not renewing" in page and "Paid through Stripe" in page and "Ends " in page
    assert "stopping@example.org" in page and "paying@example.org" not in page
    assert '<option value="not_renewing" selected>' in page
    failing = client.get("/admin/members?membership=failing").text
    assert "Payment failing" in failing and "Renews " in failing
    # Search and filter together.
    both = client.get("/admin/members?membership=access&q=gift").text
    assert "gifted@example.org" in both and "waived@example.org" not in both


def test_paging_keeps_the_filter(client, as_role, db):
    as_role("admin")
    for number in range(services.MEMBERS_PER_PAGE + 1):
        make_user(f"nobody{number}@example.org")
    page = client.get("/admin/members?membership=none").text
    assert "membership=none" in re.search(r'href="([^"]*page=2[^"]*)"', page).group(1)


# The download -----------------------------------------------------------------------------------------------

def test_the_download_has_the_filtered_accounts_and_is_in_the_audit_log(client, login, people, db):
    login(people["admin"])
    response = client.get("/admin/members.csv?membership=gift")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = rows_of(response)
    assert [row["Email"] for row in rows] == ["gifted@example.org"]
    row = rows[0]
    assert (row["Membership source"], row["Status"], row["Access"], row["Email confirmed"]) == (
        "Gift", "Gift", "yes", "yes")
    assert row["Renews or ends"] == (date.today() + timedelta(days=90)).isoformat()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "download_members_csv"))
    assert entry.actor_id == people["admin"].id and "1 accounts" in entry.detail


def test_the_download_cannot_run_formulas_in_a_spreadsheet(client, as_role, db):
    as_role("admin")
    make_user("sneaky@example.org", display_name='=HYPERLINK("http://evil.example","click")')
    make_user("minus@example.org", display_name="-2+3")
    rows = {row["Email"]: row for row in rows_of(client.get("/admin/members.csv?q=example.org"))}
    assert rows["sneaky@example.org"]["Name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows["minus@example.org"]["Name"] == "'-2+3"


def test_the_download_follows_the_search(client, login, people):
    login(people["admin"])
    rows = rows_of(client.get("/admin/members.csv?q=ing"))
    assert {row["Email"] for row in rows} == {"paying@example.org", "failing@example.org", "stopping@example.org"}


# Stripe events ----------------------------------------------------------------------------------------------

def add_event(db, event_id, result, user=None, detail="", minutes_ago=0):
    db.session.add(StripeEvent(id=event_id, type="invoice.paid", result=result, detail=detail,
                               user_id=user.id if user else None, attempts=2 if result == "failed" else 1,
                               received_at=utcnow() - timedelta(minutes=minutes_ago)))
    db.session.commit()


def test_a_failed_event_shows_under_failed_only(client, as_role, db):
    as_role("admin")
    person = make_user(display_name="Quinn")
    add_event(db, "evt_done", "processed", person, "no membership → stripe active", minutes_ago=5)
    add_event(db, "evt_broken", "failed", person, "OperationalError: database is locked")
    page = client.get("/admin/stripe-events").text
    assert "evt_done" in page and "evt_broken" in page
    assert page.index("evt_broken") < page.index("evt_done")  # newest first
    assert "up to 3 days" in page and "flask billing reconcile" in page
    failed = client.get("/admin/stripe-events?result=failed").text
    assert "evt_broken" in failed and "evt_done" not in failed
    assert "database is locked" in failed and "Quinn" in failed
    assert "No events with the result “Not needed”" in client.get("/admin/stripe-events?result=ignored").text


def test_events_come_50_a_page(client, as_role, db):
    as_role("admin")
    for number in range(51):
        add_event(db, f"evt_{number:03d}", "ignored", minutes_ago=number)
    first = client.get("/admin/stripe-events").text
    assert "evt_000" in first and "evt_050" not in first and "Page 1 of 2" in first
    assert "evt_050" in client.get("/admin/stripe-events?page=2").text


# Gift Aid ---------------------------------------------------------------------------------------------------

def pay(db, user, invoice_id, pence=800, days_ago=3):
    """A paid invoice, as the invoice.paid webhook records it."""
    db.session.add(MembershipPayment(user_id=user.id, invoice_id=invoice_id, amount_pence=pence, currency="gbp",
                                     paid_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()


def test_the_claim_has_declared_members_payments_only(client, as_role, db):
    as_role("admin")
    declared = make_user(display_name="Declared")
    gift_aid.declare(declared, "Morgan", "Declared", "12", "High Street, Leeds", "ls1 4ap", "Mx")
    undeclared = make_user(display_name="Undeclared")
    pay(db, declared, "in_declared", 800)
    pay(db, undeclared, "in_undeclared", 1200)
    page = client.get("/admin/gift-aid").text
    assert "1 member has a Gift Aid declaration" in page
    start, end = date.today() - timedelta(days=30), date.today()
    response = client.get(f"/admin/gift-aid?start={start.isoformat()}&end={end.isoformat()}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == gift_aid.CLAIM_HEADER
    assert [row[2] for row in rows[1:]] == ["Declared"]
    assert rows[1][4] == "LS1 4AP" and rows[1][-1] == "8.00"
    assert "12.00" not in response.text
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "download_gift_aid_claim"))


def test_the_claim_form_starts_with_last_month_and_refuses_an_end_before_the_start(client, as_role, db):
    as_role("admin")
    page = client.get("/admin/gift-aid").text
    assert 'name="start"' in page and 'name="end"' in page and "Download the claim (CSV)" in page
    response = client.get("/admin/gift-aid?start=2026-05-10&end=2026-05-01")
    assert response.status_code == 400
    assert "<title>Error: " in response.text
    assert "The last day must be the same as or after the first day" in response.text
    assert 'value="2026-05-10"' in response.text  # what they typed comes back
    bad = client.get("/admin/gift-aid?start=someday&end=2026-05-01")
    assert bad.status_code == 400 and "Enter the first day as a real date" in bad.text
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "download_gift_aid_claim")) is None


# Cost and weight --------------------------------------------------------------------------------------------

def test_the_new_lists_cost_a_fixed_number_of_queries(client, as_role, count_queries, db):
    admin = as_role("admin")

    def queries(url):
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    urls = ["/admin/members?membership=access", "/admin/members?membership=none&q=example", "/admin/gift-codes",
            "/admin/stripe-events", "/admin/stripe-events?result=failed"]
    few = {url: queries(url) for url in urls}
    for number in range(6):
        person = make_user()
        services.apply_subscription_state(person, "active", utcnow() + timedelta(days=30), "test")
        _, code = gifts.create_gift_code(admin, f"person {number}")
        gifts.redeem_gift_code(make_user(), code)
        add_event(db, f"evt_{number}", "failed", person)
    assert {url: queries(url) for url in urls} == few


def test_a_full_page_of_long_events_stays_within_the_page_budget(client, as_role, db):
    as_role("admin")
    person = make_user(display_name="A" * 40)
    for number in range(50):
        add_event(db, f"evt_{number:03d}_{'x' * 40}", "failed", person, "Traceback: " + "y" * 1990)
    response = client.get("/admin/stripe-events")
    css = sum(len(client.get(path).data) for path in re.findall(r'href="(/static/[^"]+\.css)"', response.text))
    assert len(response.data) + css < 60 * 1024
