"""Downloading your data in a real browser: a member with a diary entry opens Your account, follows "Download your
data", downloads the web page and the data file, and finds their own words in both; after ten downloads in an
hour the next click downloads nothing and the export page says why. The export page is axe-core clean at 320 px
and 1280 px, with and without that banner."""

import json
import uuid

import pytest
from playwright.sync_api import expect

from community.extensions import db
from community.lounge import diary
from tests import factories
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

NOTE = "Lay flat all afternoon; the headache eased by evening."


def test_a_member_downloads_their_data_as_a_web_page_and_a_data_file(page, live_server, check):
    email = f"exporter-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        member = factories.make_member(email, display_name="Robin Keeper")
        diary.save_entry(member, None, day=diary.today_for(member), headache_upright=6, headache_lying=1,
                         notes=NOTE)
        db.session.remove()

    log_in(page, live_server, email)
    page.goto(live_server.url + "/account")
    page.get_by_role("link", name="Download your data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download your data")
    check(page)

    with page.expect_download() as html_download:
        page.get_by_role("link", name="Download as a web page").click()
    document = html_download.value
    assert document.suggested_filename.startswith("target-csf-leaks-my-data-")
    assert document.suggested_filename.endswith(".html")
    with open(document.path(), encoding="utf-8") as file:
        html = file.read()
    assert html.startswith("<!doctype html>") and NOTE in html and "Robin Keeper" in html

    with page.expect_download() as json_download:
        page.get_by_role("link", name="Download as a data file (JSON)").click()
    data = json_download.value
    assert data.suggested_filename.endswith(".json")
    with open(data.path(), encoding="utf-8") as file:
        exported = json.load(file)
    assert exported["account_email"] == email
    assert exported["sections"]["members_lounge"]["data"]["symptom_diary"][0]["notes"] == NOTE
    # Downloading leaves the member on the export page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Download your data")

    # Eight more downloads (ten in the hour), then the eleventh click downloads nothing and says why.
    for _ in range(8):
        assert page.request.get(live_server.url + "/privacy/export.json").ok
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.get_by_role("link", name="Download as a web page").click()
    expect(page.get_by_role("status")).to_contain_text("You have downloaded your data several times")
    expect(page.get_by_role("heading", level=1)).to_have_text("Download your data")
    assert downloads == []
    check(page)
