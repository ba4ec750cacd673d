"""The symptom diary in a real browser, as a member lying down with a phone would use it: at 360 px wide they add
an entry (tap a score chip, tick a symptom, save), see it in the chart and the table, make a mistake and get it
back kindly, open the appointment summary; axe-core clean on the diary page, the form and the summary at 360 px,
320 px and 1280 px, with no sideways scrolling."""

import uuid

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
