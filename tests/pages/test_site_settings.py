"""The charity's settings: changed by admins on /admin/settings or with `flask settings`, checked, audited, and
shown through the `charity()` template global without a query per page."""

import time
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select

from community.moderation.models import AuditEntry
from community.pages import site_settings
from community.pages.site_settings import Charity
from tests.conftest import submit

GOOD = {"charity_name": "Target CSF Leaks", "charity_number": "1234567",
        "charity_address": "1 High Street\nLeeds\nLS1 1AA", "charity_email": "hello@targetcsfleaks.org.uk",
        "reason": "Registered at last"}


def test_defaults_come_from_the_mail_sender_until_set(app):
    assert site_settings.charity() == Charity(name="Target CSF Leaks", number="", address="",
                                              email="hello@targetcsfleaks.org.uk")


def test_an_admin_saves_the_settings_and_the_site_shows_them_at_once(client, as_role, db):
    admin = as_role("admin")
    response = submit(client, "/admin/settings", GOOD)
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "Saved the new registered charity number, postal address." in page
    assert 'value="1234567"' in page
    assert site_settings.charity() == Charity("Target CSF Leaks", "1234567", "1 High Street, Leeds, LS1 1AA",
                                              "hello@targetcsfleaks.org.uk")
    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "settings.changed")).all()
    assert sorted(entry.detail.split(":")[0] for entry in entries) == ["charity_address", "charity_number"]
    assert all(entry.actor_id == admin.id and entry.reason == "Registered at last" for entry in entries)


@pytest.mark.parametrize("field,value,message", [
    ("charity_number", "12AB567", "Enter the registered charity number as digits only, like 1234567."),
    ("charity_number", "123", "Enter the registered charity number as digits only"),
    ("charity_email", "not an email", "Enter an email address in the right format"),
    ("charity_name", "", "Enter the charity name"),
    ("charity_address", "x" * 301, "The postal address can have at most 300 characters."),
])
def test_bad_values_are_refused_beside_their_field_and_nothing_changes(client, as_role, db, field, value, message):
    as_role("admin")
    response = submit(client, "/admin/settings", {**GOOD, field: value})
    assert response.status_code == 400
    assert message in response.text and "<title>Error: " in response.text
    assert f'href="#{field}"' in response.text
    assert site_settings.charity().number == ""
    assert not db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "settings.changed")).all()


def test_spaces_in_a_charity_number_are_taken_out(client, as_role):
    as_role("admin")
    submit(client, "/admin/settings", {**GOOD, "charity_number": "1 234 567"})
    assert site_settings.charity().number == "1234567"


@pytest.mark.parametrize("role", ["anonymous", "member", "moderator"])
def test_only_admins_open_the_settings(client, as_role, role):
    if role != "anonymous":
        as_role(role)
    assert client.get("/admin/settings").status_code == (302 if role == "anonymous" else 403)


def test_flask_settings_set_and_show(runner, db):
    result = runner.invoke(args=["settings", "set", "charity_number", "1234567"])
    assert result.exit_code == 0 and "charity_number = 1234567" in result.output
    shown = runner.invoke(args=["settings", "show"]).output
    assert "charity_number = 1234567\n" in shown
    assert "charity_email = hello@targetcsfleaks.org.uk (default)" in shown
    assert "charity_address = (not set)" in shown
    refused = runner.invoke(args=["settings", "set", "charity_number", "twelve"])
    assert refused.exit_code != 0 and "digits only" in refused.output
    unknown = runner.invoke(args=["settings", "set", "colour", "blue"])
    assert unknown.exit_code != 0
    assert db.session.scalar(db.select(AuditEntry.reason)) == "flask settings set"


def test_the_template_global_is_cached_and_costs_no_query_once_filled(app, count_queries):
    site_settings.clear_cache()
    with count_queries() as first:
        site_settings.charity()
    with count_queries() as again:
        for _ in range(5):
            app.jinja_env.from_string("{{ charity().name }}").render()
    # One query (in a savepoint of the page's own transaction), then none.
    queries = [statement for statement in first if not statement.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(queries) == 1 and "FROM site_setting" in queries[0]
    assert len(again) == 0


def test_the_details_are_read_on_the_pages_own_connection(app, db):
    # A page holding a connection never waits for a second one for its footer: under load, when the copy ran out,
    # every request in flight did, and together they could hold the whole pool and wait on each other.
    with app.test_request_context("/"):
        db.session.execute(select(1))  # the page's own work: it holds a connection now
        site_settings.clear_cache()
        checkouts = []

        def count_checkout(*_connection):
            checkouts.append(1)

        event.listen(db.engine, "checkout", count_checkout)
        try:
            assert site_settings.charity().name == "Target CSF Leaks"
        finally:
            event.remove(db.engine, "checkout", count_checkout)
        assert checkouts == []


def test_a_save_in_this_process_clears_the_cache(app):
    site_settings.charity()
    site_settings.update_settings(None, {"charity_name": "Target CSF Leaks UK"})
    assert site_settings.charity().name == "Target CSF Leaks UK"


def _clock_after_the_cache_expires(monkeypatch, lifetimes: int = 1):
    later = time.monotonic() + site_settings.CACHE_SECONDS * lifetimes + 1
    monkeypatch.setattr(site_settings, "time", SimpleNamespace(monotonic=lambda: later))


def test_another_process_sees_a_change_when_its_cache_expires(app, db, monkeypatch):
    from community.pages.models import SiteSetting

    site_settings.charity()
    # Another process's save: the row changes, this process's cache is not told.
    db.session.add(SiteSetting(key="charity_number", value="7654321"))
    db.session.commit()
    assert site_settings.charity().number == ""
    _clock_after_the_cache_expires(monkeypatch)
    assert site_settings.charity().number == "7654321"


@pytest.mark.parametrize("lifetimes", [1, 5], ids=["just-out-of-date", "after-a-quiet-spell"])
def test_while_one_request_reads_the_details_again_the_others_use_the_copy_they_have(app, db, monkeypatch,
                                                                                     lifetimes):
    from community.pages.models import SiteSetting

    kept = site_settings.charity()
    db.session.add(SiteSetting(key="charity_number", value="7654321"))  # another process's save
    db.session.commit()
    _clock_after_the_cache_expires(monkeypatch, lifetimes)
    seen_meanwhile, statements = [], []

    def another_request_meanwhile(conn, cursor, statement, *args):
        statements.append(statement)
        if "FROM site_setting" in statement and not seen_meanwhile:
            # Under gevent, other requests run while this one waits for the database.
            seen_meanwhile.append(site_settings.charity())

    event.listen(db.engine, "before_cursor_execute", another_request_meanwhile)
    try:
        fresh = site_settings.charity()
    finally:
        event.remove(db.engine, "before_cursor_execute", another_request_meanwhile)
    assert seen_meanwhile == [kept] and kept.number == ""
    assert fresh.number == "7654321"
    assert len([statement for statement in statements if "FROM site_setting" in statement]) == 1


def test_a_database_failure_shows_the_last_known_details_rather_than_an_error(app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    site_settings.update_settings(None, {"charity_number": "1234567"})
    known = site_settings.charity()

    def broken():
        raise OperationalError("SELECT", {}, Exception("the database is restarting"))

    _clock_after_the_cache_expires(monkeypatch)
    monkeypatch.setattr(site_settings.db.session, "begin_nested", broken)
    assert site_settings.charity() == known
    # With nothing known yet, the defaults: never an error page (the footer is on the crisis page too).
    site_settings.clear_cache()
    assert site_settings.charity() == Charity("Target CSF Leaks", "", "", "hello@targetcsfleaks.org.uk")
