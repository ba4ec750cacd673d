"""Advocacy letters in a real browser: a member starts a letter, saves it half done (a wrong NHS number is shown
beside its field first), comes back, fills it in, previews it, downloads the Word document (which opens with
python-docx and holds their words) and opens the print page; an admin's unknown placeholder is refused on the
page; a new letter saves itself as the member types (static/js/autosave.js) and Save for later then changes that
letter. axe-core clean at 320 px and 1280 px on the form, the preview and the admin's editor."""

import uuid

import docx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from community.lounge.models import Letter
from tests import factories
from tests.browser.conftest import log_in, log_out, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    with serve(tmp_path_factory, RATELIMIT_ENABLED=False) as server:
        yield server


def test_a_member_fills_a_letter_and_downloads_it(page, live_server, check, tmp_path):
    tag = uuid.uuid4().hex[:8]
    member_email, admin_email = f"letters-{tag}@example.org", f"admin-{tag}@example.org"
    with live_server.app.app_context():
        factories.make_member(member_email, display_name="Zoë O’Brien")
        admin = factories.make_user(admin_email, role="admin", display_name="Ada")
        codes = list(admin.spare_recovery_codes[:1])
        from community.extensions import db
        db.session.remove()

    log_in(page, live_server, member_email)
    check(page, live_server.url + "/lounge/letters")
    page.get_by_role("link", name="Asking for a referral to a CSF leak specialist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Asking for a referral to a CSF leak specialist")
    check(page)
    expect(page.get_by_label("Your name", exact=True)).to_have_value("Zoë O’Brien")
    page.get_by_label("Your NHS number (optional)").fill("943 476 5918")
    page.get_by_role("button", name="Save for later").click()
    expect(page.locator(".error-summary")).to_contain_text("That is not a valid NHS number")
    check(page)
    page.get_by_label("Your NHS number (optional)").fill("943 476 5919")
    page.get_by_role("button", name="Save for later").click()
    expect(page.get_by_text("Your letter is saved")).to_be_visible()

    page.get_by_role("link", name="Carry on with this letter").click()
    page.get_by_label("Your address", exact=True).fill("12 Rose Lane\nLeeds\nLS1 1AA")
    page.get_by_label("Who the letter is to").fill("Dr Jane Smith")
    page.get_by_label("Their practice or hospital, with its address").fill("Park Surgery\n1 High Street\nLeeds")
    page.get_by_label("The procedure you had").fill("a lumbar puncture")
    page.get_by_label("When you had it").fill("March 2024")
    page.get_by_label("Your symptoms", exact=True).fill("A headache & neck pain, every day.")
    page.get_by_label("How your symptoms change when you are upright and when you lie down").fill(
        "Worse after 15 minutes upright; better lying flat.")
    page.get_by_label("What you are asking for").fill("an urgent referral to a CSF leak specialist")
    page.get_by_label("Anything else you want to say (optional)").fill("Zoë’s own paragraph.")
    page.get_by_role("button", name="Save and preview the letter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your letter")
    expect(page.get_by_text("Dear Dr Jane Smith,")).to_be_visible()
    expect(page.get_by_text("Still to fill in")).to_have_count(0)
    check(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download as a Word document").click()
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = "\n".join(paragraph.text for paragraph in docx.Document(str(saved)).paragraphs)
    assert "Zoë’s own paragraph." in text and "A headache & neck pain, every day." in text
    assert "NHS number: 943 476 5919" in text

    page.get_by_role("link", name="Print this letter").click()
    expect(page.get_by_text("Use your browser’s Print")).to_be_visible()
    check(page)
    page.emulate_media(media="print")
    expect(page.get_by_text("Use your browser’s Print")).to_be_hidden()
    page.emulate_media(media="screen")
    page.goto(live_server.url + "/lounge/letters")
    page.get_by_role("link", name="Delete").click()
    check(page)
    page.get_by_role("button", name="Delete this letter").click()
    expect(page.get_by_text("Your letter is deleted.")).to_be_visible()
    log_out(page)

    log_in(page, live_server, admin_email, codes[0])
    page.goto(live_server.url + "/lounge/admin/letters/specialist-referral")
    check(page)
    page.get_by_label("The letter's wording").fill("Dear {doctor},\n\nMy careful wording.")
    page.get_by_role("button", name="Save the new wording").click()
    expect(page.locator(".error-summary")).to_contain_text("“{doctor}” is not a placeholder we know")
    expect(page.get_by_label("The letter's wording")).to_have_value("Dear {doctor},\n\nMy careful wording.")
    check(page)
    page.get_by_label("The letter's wording").fill("Dear {clinician},\n\nMy careful wording.\n\n{your_name}")
    page.get_by_label("What did you change? (optional)").fill("Much shorter")
    page.get_by_role("button", name="Save the new wording").click()
    expect(page.get_by_text("Members now see the new wording")).to_be_visible()
    page.goto(live_server.url + "/lounge/admin/letters/specialist-referral/history")
    check(page)
    page.get_by_role("link", name="The charity’s original wording").click()
    check(page)
    page.get_by_role("button", name="Put this wording back").click()
    expect(page.get_by_text("That wording is back")).to_be_visible()
    expect(page.get_by_text("Restored the charity's original wording")).to_be_visible()


def test_a_new_letter_saves_itself_as_the_member_types(page, live_server, check):
    tag = uuid.uuid4().hex[:8]
    member_email = f"autosave-{tag}@example.org"
    with live_server.app.app_context():
        member_id = factories.make_member(member_email, display_name="Sam Lie").id
        from community.extensions import db
        db.session.remove()
    # A new letter that saves itself, then Save for later: one letter, and its edit page has the words.

    page.clock.install()
    log_in(page, live_server, member_email)
    page.goto(live_server.url + "/lounge/letters/new/follow-up-care")
    expect(page.get_by_text("saves itself as you type")).to_be_visible()
    check(page)
    page.get_by_label("Who the letter is to").fill("Dr Amir Khan")
    page.get_by_label("Your symptoms", exact=True).fill("Headache when I sit up; it eases lying flat.")
    with page.expect_response(lambda response: response.url.endswith("/lounge/letters/autosave")) as info:
        page.clock.fast_forward("00:21")
    answer = info.value.json()
    assert answer["ok"] is True and answer["edit_url"] == f"/lounge/letters/{answer['id']}"
    expect(page.get_by_role("status")).to_contain_text("Saved at " + answer["saved_at"])
    expect(page.locator("#letter-form")).to_have_attribute("action", answer["edit_url"])
    expect(page.locator("#letter_id")).to_have_value(str(answer["id"]))
    check(page)

    # Save for later changes the same letter: still one.
    page.get_by_label("The procedure you had").fill("a lumbar puncture")
    page.get_by_role("button", name="Save for later").click()
    expect(page.get_by_text("Your letter is saved")).to_be_visible()
    with live_server.app.app_context():
        saved = [(letter.id, letter.details["procedure"])
                 for letter in db.session.scalars(select(Letter).where(Letter.owner_id == member_id))]
        db.session.remove()
    assert saved == [(answer["id"], "a lumbar puncture")], "one letter, not two"

    page.goto(live_server.url + answer["edit_url"])
    expect(page.get_by_label("Who the letter is to")).to_have_value("Dr Amir Khan")
    expect(page.get_by_label("Your symptoms", exact=True)).to_have_value(
        "Headache when I sit up; it eases lying flat.")
    check(page)


def test_save_pressed_while_the_first_autosave_is_on_its_way_still_makes_one_letter(page, live_server):
    tag = uuid.uuid4().hex[:8]
    member_email = f"autosave-race-{tag}@example.org"
    with live_server.app.app_context():
        member_id = factories.make_member(member_email).id
        from community.extensions import db
        db.session.remove()

    held = []
    page.clock.install()
    log_in(page, live_server, member_email)
    page.goto(live_server.url + "/lounge/letters/new/specialist-referral")
    page.route("**/lounge/letters/autosave", lambda route: held.append(route))
    page.get_by_label("Who the letter is to").fill("Dr Amir Khan")
    page.clock.fast_forward("00:21")
    page.wait_for_timeout(500)
    assert len(held) == 1, "the autosave is on its way"
    page.get_by_role("button", name="Save for later").click()
    page.wait_for_timeout(300)
    assert page.url.endswith("/lounge/letters/new/specialist-referral"), "Save waits for the autosave's answer"
    held[0].continue_()
    expect(page.get_by_text("Your letter is saved")).to_be_visible()
    with live_server.app.app_context():
        saved = list(db.session.scalars(select(Letter.id).where(Letter.owner_id == member_id)))
        db.session.remove()
    assert len(saved) == 1, "one letter, not two"
