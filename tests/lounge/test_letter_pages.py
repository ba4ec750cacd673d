"""The letters' pages (community/lounge/letter_pages.py): a member fills, previews, downloads, prints and deletes
their own letter; anyone else guessing its id gets 404 on every route and changes nothing; hostile input is
refused or shown escaped; admins' wording is checked on the page and every version kept."""

import re
from io import BytesIO

import docx
import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.lounge import letters
from community.lounge.models import Letter, LetterTemplateVersion
from tests.conftest import csrf_token_from, submit
from tests.core.test_page_weight import BUDGET, page_weight
from tests.factories import make_member
from tests.lounge.test_letters import FULL

LETTER_GETS = ["/lounge/letters/{id}", "/lounge/letters/{id}/preview", "/lounge/letters/{id}/print",
               "/lounge/letters/{id}/letter.docx", "/lounge/letters/{id}/delete"]
LETTER_POSTS = ["/lounge/letters/{id}", "/lounge/letters/{id}/delete"]


def _letter(owner, details=None, key="specialist-referral") -> Letter:
    return letters.save_letter(owner, None, key, details if details is not None else FULL)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_letters_page_lists_the_three_templates_and_the_members_letters(client, as_role):
    member = as_role("member")
    letter = _letter(member)
    page = client.get("/lounge/letters")
    assert page.status_code == 200
    for key, wording in letters.ORIGINALS.items():
        assert wording.title in page.text and f"/lounge/letters/new/{key}" in page.text
    assert f"/lounge/letters/{letter.id}/preview" in page.text and "To Dr Jane Smith" in page.text


def test_a_member_fills_in_a_letter_previews_it_and_downloads_it(client, as_role):
    as_role("member")
    response = submit(client, "/lounge/letters/new/challenge-dismissal", {**FULL, "action": "preview"})
    letter = db.session.scalars(select(Letter)).one()
    assert response.status_code == 302 and response.location == f"/lounge/letters/{letter.id}/preview"
    assert letter.details["nhs_number"] == "943 476 5919"
    preview = client.get(response.location)
    assert "Dear Dr Jane Smith," in preview.text and "Still to fill in" not in preview.text
    assert "A headache &amp; neck pain &lt;every day&gt;" in preview.text
    download = client.get(f"/lounge/letters/{letter.id}/letter.docx")
    assert download.status_code == 200
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert download.headers["Content-Disposition"].startswith("attachment; filename=\"asking-for-further")
    assert download.headers["Cache-Control"] == "no-store"
    text = "\n".join(p.text for p in docx.Document(BytesIO(download.data)).paragraphs)
    assert "Zoë’s own paragraph." in text and "A headache & neck pain <every day>" in text
    printed = client.get(f"/lounge/letters/{letter.id}/print")
    assert printed.status_code == 200 and "no-print" in printed.text and "Dear Dr Jane Smith," in printed.text


def test_the_same_new_letter_form_sent_twice_makes_one_letter(client, as_role):
    """Without scripts nothing autosaves, so a double tap on "Save for later" sends the new-letter form twice."""
    member = as_role("member")
    page = client.get("/lounge/letters/new/follow-up-care").text
    token = re.search(r'<input[^>]*name="form_token"[^>]*>', page).group(0)
    form_token = re.search(r'value="([^"]+)"', token).group(1)
    data = {**FULL, "action": "later", "csrf_token": csrf_token_from(page), "form_token": form_token}
    first = client.post("/lounge/letters/new/follow-up-care", data=data)
    second = client.post("/lounge/letters/new/follow-up-care", data={**data, "request": "Changed on the second go."})
    assert first.status_code == second.status_code == 302
    letter = db.session.scalars(select(Letter)).one()
    assert letter.owner_id == member.id and letter.details["request"] == "Changed on the second go."
    # Another member sending the same token gets a letter of their own, and never touches this one.
    other = make_member()
    mine = letters.save_letter(other, None, "follow-up-care", {"your_name": "Kit"}, form_token=form_token)
    assert mine.id != letter.id and mine.owner_id == other.id
    assert db.session.get(Letter, letter.id).details["your_name"] == FULL["your_name"]


def test_save_for_later_keeps_a_half_done_letter_and_the_preview_lists_what_is_missing(client, as_role):
    as_role("member")
    response = submit(client, "/lounge/letters/new/follow-up-care", {"your_name": "Sam", "action": "later"})
    letter = db.session.scalars(select(Letter)).one()
    assert response.status_code == 302 and response.location == f"/lounge/letters#letter-{letter.id}"
    preview = client.get(f"/lounge/letters/{letter.id}/preview").text
    assert "Still to fill in" in preview and f'href="/lounge/letters/{letter.id}#your_address"' in preview
    assert "[your address]" in preview and "NHS number" not in preview
    form = client.get(f"/lounge/letters/{letter.id}").text
    assert 'value="Sam"' in form and 'id="your_address"' in form


def test_the_member_changes_their_letter_and_deletes_it_after_confirming(client, as_role):
    member = as_role("member")
    letter = _letter(member)
    response = submit(client, f"/lounge/letters/{letter.id}", {**FULL, "clinician": "Dr Patel", "action": "preview"})
    assert response.status_code == 302
    assert db.session.get(Letter, letter.id).details["clinician"] == "Dr Patel"
    confirm = client.get(f"/lounge/letters/{letter.id}/delete")
    assert confirm.status_code == 200 and "Delete this letter" in confirm.text
    assert submit(client, f"/lounge/letters/{letter.id}/delete", {}).status_code == 302
    assert _count(Letter) == 0


def test_an_unknown_template_is_not_found(client, as_role):
    as_role("member")
    assert client.get("/lounge/letters/new/nothing-here").status_code == 404


@pytest.mark.parametrize("role", ["member", "moderator", "admin"])
def test_anyone_else_guessing_a_letter_id_gets_404_everywhere_and_changes_nothing(client, as_role, role):
    owner = make_member()
    letter = _letter(owner)
    as_role(role)
    token = csrf_token_from(client.get("/contact").text)
    for url in LETTER_GETS:
        assert client.get(url.format(id=letter.id)).status_code == 404, url
    for url in LETTER_POSTS:
        response = client.post(url.format(id=letter.id), data={**FULL, "your_name": "Taken", "csrf_token": token})
        assert response.status_code == 404, url
    for url in LETTER_GETS:
        assert client.get(url.format(id=99999)).status_code == 404
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).details == letters.clean_details(FULL)


def test_hostile_input_is_refused_or_stored_safely_and_escaped(client, as_role):
    as_role("member")
    response = submit(client, "/lounge/letters/new/follow-up-care", {**FULL, "symptoms": "x" * 50_000})
    assert response.status_code == 400 and "x" * 100 in response.text
    assert "Your symptoms: please keep this to 3,000 characters" in response.text
    assert response.text.count("<title>Error: ") == 1 and _count(Letter) == 0
    response = submit(client, "/lounge/letters/new/follow-up-care",
                      {**FULL, "your_name": "<script>alert(1)</script>\x00", "symptoms": "Bad\x00\x1b day",
                       "action": "preview"})
    letter = db.session.scalars(select(Letter)).one()
    assert letter.details["your_name"] == "<script>alert(1)</script>" and letter.details["symptoms"] == "Bad day"
    preview = client.get(f"/lounge/letters/{letter.id}/preview").text
    assert "<script>alert" not in preview and "&lt;script&gt;alert(1)&lt;/script&gt;" in preview
    document = docx.Document(BytesIO(client.get(f"/lounge/letters/{letter.id}/letter.docx").data))
    assert "<script>alert(1)</script>" in "\n".join(p.text for p in document.paragraphs)


def test_a_wrong_nhs_number_comes_back_beside_its_field_with_every_word_kept(client, as_role):
    as_role("member")
    response = submit(client, "/lounge/letters/new/follow-up-care", {**FULL, "nhs_number": "943 476 5918"})
    assert response.status_code == 400 and "That is not a valid NHS number" in response.text
    assert 'href="#nhs_number"' in response.text and "Zoë’s own paragraph." in response.text
    assert _count(Letter) == 0


def test_too_many_new_letters_are_refused_kindly(client, as_role, monkeypatch):
    as_role("member")
    monkeypatch.setattr(letters.NEW_LETTER_LIMIT, "allows", lambda who: False)
    response = submit(client, "/lounge/letters/new/follow-up-care", FULL)
    assert response.status_code == 400 and "a lot of new letters" in response.text and _count(Letter) == 0


def test_the_list_page_runs_the_same_queries_however_many_letters(client, as_role, count_queries):
    member = as_role("member")
    _letter(member)
    client.get("/lounge/letters")
    with count_queries() as few:
        client.get("/lounge/letters")
    for key in letters.TEMPLATE_KEYS * 3:
        _letter(member, key=key)
    with count_queries() as many:
        client.get("/lounge/letters")
    assert len(many) == len(few)


def test_the_letter_pages_are_light(client, as_role):
    member = as_role("member")
    letter = _letter(member)
    for url in ["/lounge/letters", "/lounge/letters/new/follow-up-care", f"/lounge/letters/{letter.id}",
                f"/lounge/letters/{letter.id}/preview", f"/lounge/letters/{letter.id}/print"]:
        assert page_weight(client, url) < BUDGET, url


# Admins ---------------------------------------------------------------------------------------------------------

def test_an_admin_saves_new_wording_and_members_get_it(client, as_role):
    as_role("admin")
    assert "{clinician}" in client.get("/lounge/admin/letters/follow-up-care").text
    response = submit(client, "/lounge/admin/letters/follow-up-care",
                      {"title": "Follow-up please", "purpose": "After a patch.", "based_on_version": "0",
                       "body": "Dear {clinician},\n\nPlease see me. {today}", "note": "Shorter"})
    assert response.status_code == 302
    assert letters.current_wording("follow-up-care").title == "Follow-up please"
    history = client.get("/lounge/admin/letters/follow-up-care/history").text
    assert "Shorter" in history and "The charity’s original wording" in history


def test_an_admins_unknown_placeholder_is_refused_on_the_page_with_their_text_kept(client, as_role):
    as_role("admin")
    body = "Dear {doctor},\n\nMy own careful wording."
    response = submit(client, "/lounge/admin/letters/follow-up-care",
                      {"title": "T", "purpose": "P", "body": body, "based_on_version": "0"})
    assert response.status_code == 400
    assert "“{doctor}” is not a placeholder we know. You can use: {today}, {your_name}" in response.text
    assert "My own careful wording." in response.text and _count(LetterTemplateVersion) == 0
    response = submit(client, "/lounge/admin/letters/follow-up-care",
                      {"title": "T", "purpose": "P", "body": "Dear {clinician", "based_on_version": "0"})
    assert response.status_code == 400 and "on its own" in response.text and _count(LetterTemplateVersion) == 0


def test_an_admin_edit_without_its_starting_version_is_refused(client, as_role):
    as_role("admin")
    response = submit(client, "/lounge/admin/letters/follow-up-care",
                      {"title": "T", "purpose": "P", "body": "Dear {clinician},"})
    assert response.status_code == 400 and "could not tell which version" in response.text
    assert _count(LetterTemplateVersion) == 0


def test_an_admin_restores_an_earlier_version_and_the_original(client, as_role):
    admin = as_role("admin")
    first = letters.save_template(admin, "follow-up-care", "First", "P", "Dear {clinician}, one.", "", 0)
    letters.save_template(admin, "follow-up-care", "Second", "P", "Dear {clinician}, two.", "", first.id)
    url = f"/lounge/admin/letters/follow-up-care/versions/{first.id}"
    assert "Put this wording back" in client.get(url).text
    assert submit(client, url, {}).status_code == 302
    assert letters.current_wording("follow-up-care").title == "First"
    assert submit(client, "/lounge/admin/letters/follow-up-care/original", {}).status_code == 302
    assert letters.current_wording("follow-up-care").title == letters.ORIGINALS["follow-up-care"].title
    assert _count(LetterTemplateVersion) == 4
    assert client.get(f"/lounge/admin/letters/challenge-dismissal/versions/{first.id}").status_code == 404


@pytest.mark.parametrize("role", ["member", "moderator"])
def test_only_admins_open_the_template_editor(client, as_role, role):
    as_role(role)
    for url in ["/lounge/admin/letters", "/lounge/admin/letters/follow-up-care",
                "/lounge/admin/letters/follow-up-care/history", "/lounge/admin/letters/follow-up-care/original"]:
        assert client.get(url).status_code in (302, 403, 404), url
