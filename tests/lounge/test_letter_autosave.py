"""A letter saves itself while the member types (static/js/autosave.js posting to /lounge/letters/autosave): the
first autosave makes the letter, later ones change it, and the form's own Save then changes that letter instead of
making a second; nothing is made from an empty form; a guessed id of someone else's letter answers 404 and changes
nothing; refusals answer JSON beside their field; the script is allowed on the letter form and nowhere else in the
lounge."""

import re

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.lounge import letters
from community.lounge.models import Letter
from tests.conftest import csrf_token_from
from tests.core.test_page_weight import BUDGET, page_weight
from tests.factories import make_member
from tests.lounge.test_letters import FULL

AUTOSAVE = "/lounge/letters/autosave"
EMPTY = {name: "" for name in letters.FIELDS}


def _token(client, url="/lounge/letters/new/follow-up-care") -> str:
    return csrf_token_from(client.get(url).text)


def _letters_of(member) -> list[Letter]:
    return list(db.session.scalars(select(Letter).where(Letter.owner_id == member.id)))


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Letter))


def test_the_first_autosave_makes_the_letter_and_later_ones_change_it(client, as_role):
    member = as_role("member")
    token = _token(client)
    first = client.post(AUTOSAVE, data={**EMPTY, "csrf_token": token, "template_key": "follow-up-care",
                                        "letter_id": "", "symptoms": "A headache"})
    assert first.status_code == 200 and first.json["ok"] is True
    [letter] = _letters_of(member)
    assert first.json["id"] == letter.id and first.json["edit_url"] == f"/lounge/letters/{letter.id}"
    assert len(first.json["saved_at"]) == 5 and first.json["saved_at"][2] == ":"
    assert letter.template_key == "follow-up-care" and letter.details["symptoms"] == "A headache"
    second = client.post(AUTOSAVE, data={**EMPTY, "csrf_token": token, "template_key": "follow-up-care",
                                         "letter_id": str(letter.id), "symptoms": "A headache, every day",
                                         "clinician": "Dr Jane Smith"})
    assert second.status_code == 200 and second.json["id"] == letter.id
    db.session.expire_all()
    assert [item.id for item in _letters_of(member)] == [letter.id]
    assert (letter.details["symptoms"], letter.details["clinician"]) == ("A headache, every day", "Dr Jane Smith")
    # The edit page the answer points at shows the words and carries the id for the next save.
    page = client.get(first.json["edit_url"]).text
    assert "A headache, every day" in page and f'name="letter_id" type="hidden" value="{letter.id}"' in page


def test_save_after_an_autosave_on_the_new_letter_page_changes_that_letter(client, as_role):
    member = as_role("member")
    token = _token(client)
    saved = client.post(AUTOSAVE, data={**EMPTY, "csrf_token": token, "template_key": "follow-up-care",
                                        "clinician": "Dr Jane Smith"}).json
    response = client.post("/lounge/letters/new/follow-up-care", data={
        **FULL, "csrf_token": token, "letter_id": str(saved["id"]), "action": "later"})
    assert response.status_code == 302 and response.location == f"/lounge/letters#letter-{saved['id']}"
    [letter] = _letters_of(member)
    assert letter.id == saved["id"] and letter.details == letters.clean_details(FULL)
    # A refusal on that page keeps the member's words and still points at the same letter.
    refused = client.post("/lounge/letters/new/follow-up-care", data={
        **FULL, "nhs_number": "943 476 5918", "csrf_token": token, "letter_id": str(saved["id"])})
    assert refused.status_code == 400 and "That is not a valid NHS number" in refused.text
    assert f'action="/lounge/letters/{saved["id"]}"' in refused.text and _count() == 1


def test_an_empty_autosave_is_refused_and_makes_nothing(client, as_role):
    as_role("member")
    response = client.post(AUTOSAVE, data={**EMPTY, "your_name": "  ", "csrf_token": _token(client),
                                           "template_key": "follow-up-care"})
    assert response.status_code == 400 and response.json == {"ok": False, "error": "Nothing to save yet.",
                                                              "field": None}
    assert _count() == 0


def test_an_existing_letter_can_be_emptied_by_autosave(client, as_role):
    member = as_role("member")
    letter = letters.save_letter(member, None, "follow-up-care", FULL)
    response = client.post(AUTOSAVE, data={**EMPTY, "csrf_token": _token(client), "letter_id": str(letter.id)})
    assert response.status_code == 200 and response.json["id"] == letter.id
    db.session.expire_all()
    assert not any(db.session.get(Letter, letter.id).details.values())


@pytest.mark.parametrize("role", ["member", "moderator", "admin"])
def test_guessing_another_members_letter_id_is_not_found_and_changes_nothing(client, as_role, role):
    owner = make_member()
    theirs = letters.save_letter(owner, None, "specialist-referral", FULL)
    as_role(role)
    token = _token(client)
    for letter_id in (str(theirs.id), "99999", "-1", "2147483648", "nonsense"):
        response = client.post(AUTOSAVE, data={**FULL, "your_name": "Taken", "csrf_token": token,
                                               "template_key": "specialist-referral", "letter_id": letter_id})
        assert response.status_code == 404, letter_id
        response = client.post("/lounge/letters/new/specialist-referral", data={
            **FULL, "your_name": "Taken", "csrf_token": token, "letter_id": letter_id})
        assert response.status_code == 404, letter_id
    db.session.expire_all()
    assert db.session.get(Letter, theirs.id).details == letters.clean_details(FULL) and _count() == 1


def test_an_autosave_without_its_csrf_token_is_refused(client, as_role):
    as_role("member")
    response = client.post(AUTOSAVE, data={**FULL, "template_key": "follow-up-care"})
    assert response.status_code == 400 and _count() == 0
    response = client.post(AUTOSAVE, data={**FULL, "template_key": "follow-up-care", "csrf_token": "forged"})
    assert response.status_code == 400 and _count() == 0


def test_autosave_needs_a_member(client, as_role):
    as_role("registered")
    response = client.post(AUTOSAVE, data={**FULL, "csrf_token": csrf_token_from(client.get("/contact").text),
                                           "template_key": "follow-up-care"})
    assert response.status_code in (302, 403) and _count() == 0


def test_a_too_long_field_is_refused_as_json_naming_the_field(client, as_role):
    member = as_role("member")
    token = _token(client)
    response = client.post(AUTOSAVE, data={**FULL, "symptoms": "x" * 3001, "csrf_token": token,
                                           "template_key": "follow-up-care"})
    assert response.status_code == 400 and response.json["ok"] is False
    assert response.json["field"] == "symptoms" and "3,000 characters" in response.json["error"]
    assert _count() == 0
    letter = letters.save_letter(member, None, "follow-up-care", FULL)
    response = client.post(AUTOSAVE, data={**FULL, "request": "y" * 2001, "csrf_token": token,
                                           "letter_id": str(letter.id)})
    assert response.status_code == 400 and response.json["field"] == "request"
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).details == letters.clean_details(FULL)


def test_an_unknown_template_is_refused_as_json(client, as_role):
    as_role("member")
    response = client.post(AUTOSAVE, data={**FULL, "csrf_token": _token(client), "template_key": "nothing-here"})
    assert response.status_code == 400 and response.json["ok"] is False
    assert "no letter template" in response.json["error"] and _count() == 0


def test_autosave_counts_new_letters_against_the_limit(client, as_role, monkeypatch):
    member = as_role("member")
    token = _token(client)
    counted = []
    monkeypatch.setattr(letters.NEW_LETTER_LIMIT, "count", counted.append)
    first = client.post(AUTOSAVE, data={**FULL, "csrf_token": token, "template_key": "follow-up-care"}).json
    client.post(AUTOSAVE, data={**FULL, "csrf_token": token, "letter_id": str(first["id"])})
    assert counted == [f"member:{member.id}"], "the first save counts, later ones do not"
    monkeypatch.setattr(letters.NEW_LETTER_LIMIT, "allows", lambda who: False)
    refused = client.post(AUTOSAVE, data={**FULL, "csrf_token": token, "template_key": "follow-up-care"})
    assert refused.status_code == 400 and "a lot of new letters" in refused.json["error"] and _count() == 1
    # The letter already made still saves itself.
    again = client.post(AUTOSAVE, data={**FULL, "own_words": "More.", "csrf_token": token,
                                        "letter_id": str(first["id"])})
    assert again.status_code == 200 and _count() == 1


def test_only_the_letter_form_allows_our_script(client, as_role):
    member = as_role("member")
    letter = letters.save_letter(member, None, "follow-up-care", FULL)
    for url in ("/lounge/letters/new/follow-up-care", f"/lounge/letters/{letter.id}"):
        response = client.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "connect-src 'self'" in policy, url
        assert re.search(r'src="/static/js/autosave\.[0-9a-f]{12}\.js"', response.text)
        assert "<script>" not in response.text
        assert 'role="status"' in response.text and "saves itself as you type" in response.text
        assert 'data-autosave-url="/lounge/letters/autosave"' in response.text
        assert page_weight(client, url) < BUDGET
    for url in ("/lounge", "/lounge/letters", f"/lounge/letters/{letter.id}/preview",
                f"/lounge/letters/{letter.id}/print", f"/lounge/letters/{letter.id}/delete", "/lounge/checklist",
                "/lounge/diary"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "script-src" not in response.headers["Content-Security-Policy"], url
