"""The symptom diary in a real browser, as a member lying down with a phone would use it: at 360 px wide they add
an entry (tap a score chip, tick a symptom, save), see it in the chart and the table, make a mistake and get it
back kindly, open the appointment summary, reach an old entry through "All your entries" and read the summary's
before-and-after figures; axe-core clean on the diary page, the form, every entry and the summary at 360 px,
320 px and 1280 px, with no sideways scrolling."""

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import assert_no_axe_violations, assert_no_sideways_scroll, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def _check_at_360_too(page, check):
    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page, PHONE["width"])
    assert_no_axe_violations(page)
    check(page)
    page.set_viewport_size(PHONE)


def test_a_member_adds_an_entry_on_a_phone_and_sees_it_charted(page, live_server, check):
    email = f"diary-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        factories.make_member(email, display_name="Robin Quill")
        from community.extensions import db
        db.session.remove()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, email)
    page.goto(live_server.url + "/lounge/diary")
    expect(page.get_by_role("heading", level=1)).to_have_text("Symptom diary")
    _check_at_360_too(page, check)

    page.get_by_role("link", name="Add an entry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a diary entry")
    _check_at_360_too(page, check)
    # Saving with no scores: a kind refusal, the ticked symptom kept.
    page.get_by_label("Brain fog").check()
    page.get_by_role("button", name="Save this entry").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose how bad your headache was upright, from 0 to 10")
    expect(page.get_by_label("Brain fog")).to_be_checked()
    _check_at_360_too(page, check)

    # Tap the chips, as a finger would (each chip's real radio button lies over its label).
    upright = page.get_by_role("group", name="Headache when upright")
    upright.locator(".chip", has_text="7").click()
    expect(upright.get_by_role("radio", name="7")).to_be_checked()
    lying = page.get_by_role("group", name="Headache when lying down")
    lying.locator(".chip", has_text="2").click()
    expect(lying.get_by_role("radio", name="2", exact=True)).to_be_checked()
    box = upright.locator(".chip", has_text="7").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, box
    page.get_by_label("Nausea or sickness").check()
    page.get_by_label("15 to 30 minutes").check()
    page.get_by_role("button", name="Save this entry").click()

    expect(page.get_by_text("is saved.")).to_be_visible()
    expect(page.locator("svg.diary-chart circle.point-upright")).to_have_count(1)
    expect(page.locator("svg.diary-chart .point-lying")).to_have_count(1)
    # The same figures as a table, one tap away (folded on the diary page, where recent entries already list them).
    page.get_by_text("The chart’s figures as a table").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("Nausea or sickness, Brain fog")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody td").first).to_have_text("7")
    _check_at_360_too(page, check)

    # The next entry starts from the last scores.
    page.get_by_role("link", name="Add an entry").click()
    expect(page.get_by_role("group", name="Headache when upright").get_by_role("radio", name="7")).to_be_checked()

    page.goto(live_server.url + "/lounge/diary/summary")
    expect(page.get_by_text("Brain fog: on 1 of 1 entry")).to_be_visible()
    _check_at_360_too(page, check)


def test_every_entry_is_reached_page_by_page_and_the_summary_compares_a_treatment(page, live_server, check):
    email = f"diary-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        from community.extensions import db
        from community.lounge import diary
        member = factories.make_member(email, display_name="Robin Quill")
        today = diary.today_for(member)
        for days_ago in range(22):
            diary.save_entry(member, None, day=today - timedelta(days=days_ago), headache_upright=8 if days_ago > 5
                             else 3, headache_lying=2, upright_minutes=30, symptoms=["brain_fog", "neck_pain"],
                             other_symptoms="Ringing in both ears, worse in the afternoon",
                             treatment="blood_patch" if days_ago == 5 else "",
                             treatment_details="At the district hospital" if days_ago == 5 else "")
        oldest = (today - timedelta(days=21)).strftime("%-d %B %Y")
        db.session.remove()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, email)
    page.goto(live_server.url + "/lounge/diary")
    page.get_by_role("link", name="All your entries").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("All your diary entries")
    expect(page.get_by_role("heading", level=2)).to_contain_text("Entries 1 to 20 of 22")
    _check_at_360_too(page, check)
    page.get_by_role("navigation", name="Pages of entries").get_by_role("link", name="Older entries").click()
    expect(page.get_by_role("heading", level=3)).to_have_count(2)
    expect(page.get_by_role("heading", level=3).last).to_have_text(oldest)
    _check_at_360_too(page, check)
    page.get_by_role("link", name=f"Change the entry for {oldest}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change a diary entry")

    page.goto(live_server.url + "/lounge/diary/summary")
    expect(page.locator(".before-after li")).to_have_text(re.compile(
        r"^Before the epidural blood patch on .+ \(16 entries\): headache upright 8\.0, lying down 2\.0\. "
        r"After it \(5 entries\): upright 3\.0, lying down 2\.0\.$"))
    _check_at_360_too(page, check)


def test_the_demo_diarys_summary_prints_on_one_a4_page(page, live_server):
    email = f"diary-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        from community.demo.lounge_content import DIARY
        from community.extensions import db
        from community.lounge import diary
        member = factories.make_member(email, display_name="Sam Example")
        today = diary.today_for(member)
        for days_ago, upright, lying, minutes, symptoms, treatment, notes in DIARY:  # as the demo seeds it
            diary.save_entry(member, None, day=today - timedelta(days=days_ago), headache_upright=upright,
                             headache_lying=lying, upright_minutes=minutes, symptoms=symptoms, treatment=treatment,
                             treatment_details="At the district hospital" if treatment else "", notes=notes)
        db.session.remove()
    log_in(page, live_server, email)
    page.goto(live_server.url + "/lounge/diary/summary")
    expect(page.locator(".before-after li")).to_contain_text("Before the epidural blood patch on")
    pdf = page.pdf(format="A4")
    assert re.findall(rb"/Count (\d+)", pdf) == [b"1"]
