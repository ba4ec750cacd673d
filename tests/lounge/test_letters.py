"""The letters' rules (community/lounge/letters.py): every template renders completely, optional lines go, empty
required fields show a prompt, admins' wording is checked and every version kept, and the Word document holds
the member's words."""

from io import BytesIO

import docx
import pytest
from sqlalchemy import func, select

from community.lounge import letters
from community.lounge.letter_docx import letter_document
from community.lounge.models import LetterTemplateVersion
from community.moderation.models import AuditEntry
from tests.factories import make_member, make_user

FULL = {"your_name": "Zoë O’Brien", "your_address": "12 Rose Lane\nLeeds\nLS1 1AA", "nhs_number": "943 476 5919",
        "clinician": "Dr Jane Smith", "practice": "Park Surgery\n1 High Street\nLeeds", "procedure":
        "a lumbar puncture", "procedure_date": "March 2024", "symptoms": "A headache & neck pain <every day>",
        "upright_vs_lying": "Worse after 15 minutes upright, easing lying flat.",
        "request": "a referral to a CSF leak specialist", "own_words": "Zoë’s own paragraph."}


def _text(rendered) -> str:
    return "\n\n".join("\n".join(lines) for lines in rendered.paragraphs)


@pytest.mark.parametrize("key", letters.TEMPLATE_KEYS)
def test_each_template_renders_with_every_field_filled_and_nothing_left_over(key):
    rendered = letters.render(letters.ORIGINALS[key].body, FULL, "27 November 2026")
    text = _text(rendered)
    assert "{" not in text and "}" not in text and "[" not in text
    assert rendered.missing == []
    for value in FULL.values():
        for line in value.split("\n"):
            assert line in text
    assert "27 November 2026" in text and "NHS number: 943 476 5919" in text


@pytest.mark.parametrize("key", letters.TEMPLATE_KEYS)
def test_the_original_wording_passes_the_admins_check(key):
    letters.check_body(letters.ORIGINALS[key].body)


def test_a_line_with_an_empty_optional_field_is_left_out():
    details = {**FULL, "nhs_number": "", "own_words": ""}
    text = _text(letters.render(letters.ORIGINALS["follow-up-care"].body, details, "1 May 2026"))
    assert "NHS number" not in text and "Zoë’s own paragraph" not in text
    assert "\n\n\n" not in text


def test_an_empty_required_field_shows_a_prompt_and_is_listed():
    details = {**FULL, "your_address": "", "clinician": ""}
    rendered = letters.render(letters.ORIGINALS["challenge-dismissal"].body, details, "1 May 2026")
    assert "[your address]" in _text(rendered) and "Dear [their name]," in _text(rendered)
    assert rendered.missing == ["your_address", "clinician"]


def test_multi_line_values_become_lines_and_braces_a_member_types_stay_as_typed():
    rendered = letters.render("{your_address}\n\n{symptoms}", {**FULL, "symptoms": "I wrote {your_name}"}, "x")
    assert rendered.paragraphs == [["12 Rose Lane", "Leeds", "LS1 1AA"], ["I wrote {your_name}"]]


@pytest.mark.parametrize(("number", "ok"), [("9434765919", True), ("943 476 5919", True), ("943 476 5918", False),
                                            ("123", False), ("abcdefghij", False)])
def test_nhs_numbers_are_checked_with_the_modulus_11_check_digit(number, ok):
    if ok:
        assert letters.clean_details({"nhs_number": number})["nhs_number"] == "943 476 5919"
    else:
        with pytest.raises(letters.LetterError) as refusal:
            letters.clean_details({"nhs_number": number})
        assert refusal.value.field == "nhs_number" and "NHS number" in refusal.value.message


def test_details_are_cleaned_and_long_ones_refused_kindly():
    cleaned = letters.clean_details({"your_name": " Sam\x00 Jones\x07 ", "symptoms": "one\r\ntwo\rthree",
                                     "unknown": "dropped"})
    assert cleaned["your_name"] == "Sam Jones" and cleaned["symptoms"] == "one\ntwo\nthree"
    assert "unknown" not in cleaned
    with pytest.raises(letters.LetterError) as refusal:
        letters.clean_details({"symptoms": "x" * 3001})
    assert refusal.value.field == "symptoms" and "3,000 characters" in refusal.value.message


@pytest.mark.parametrize(("body", "words"), [
    ("Dear {doctor},", "“{doctor}” is not a placeholder we know. You can use: {today}, {your_name}"),
    ("Dear {Your Name},", "“{Your Name}” is not a placeholder we know."),
    ("Dear {your_name,", "There is a “{” on its own"),
    ("Dear your_name},", "There is a “}” on its own"),
])
def test_an_admins_wording_with_an_unknown_placeholder_or_stray_brace_is_refused(db, body, words):
    admin = make_user(role="admin")
    with pytest.raises(letters.LetterError) as refusal:
        letters.save_template(admin, "follow-up-care", "Title", "Purpose", body, "", 0)
    assert words in refusal.value.message and refusal.value.field == "body"
    assert db.session.scalar(select(func.count()).select_from(LetterTemplateVersion)) == 0


def test_admins_versions_are_kept_members_get_the_newest_and_an_earlier_one_can_be_restored(db):
    admin = make_user(role="admin")
    original = letters.ORIGINALS["follow-up-care"]
    assert letters.current_wording("follow-up-care") == original
    first = letters.save_template(admin, "follow-up-care", "First", "P", "Dear {clinician}, one.", "first", 0)
    second = letters.save_template(admin, "follow-up-care", "Second", "P", "Dear {clinician}, two.", "", first.id)
    assert letters.current_wording("follow-up-care").title == "Second"
    assert letters.current_wordings()["follow-up-care"].title == "Second"
    assert letters.current_wordings()["challenge-dismissal"] == letters.ORIGINALS["challenge-dismissal"]
    history = letters.template_history("follow-up-care")
    assert [w.version_id for w in history] == [second.id, first.id, None]
    restored = letters.restore_version(admin, "follow-up-care", letters.find_version("follow-up-care", first.id))
    assert restored.body == "Dear {clinician}, one.\n" and restored.note.startswith("Restored the version saved on")
    back = letters.restore_version(admin, "follow-up-care", original)
    assert letters.current_wording("follow-up-care").body.strip() == original.body.strip()
    assert back.note == "Restored the charity's original wording"
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "letter_template")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["letter_template.edit"] * 2 + ["letter_template.restore"] * 2


def test_an_edit_started_from_an_older_version_is_refused(db):
    admin = make_user(role="admin")
    letters.save_template(admin, "follow-up-care", "First", "P", "Dear {clinician},", "", 0)
    with pytest.raises(letters.LetterError, match="Someone else saved"):
        letters.save_template(admin, "follow-up-care", "Mine", "P", "Dear {clinician},", "", 0)
    with pytest.raises(letters.LetterError, match="could not tell which version"):
        letters.version_number("abc")


def test_a_member_saves_a_half_done_letter_and_only_they_can_change_it(db):
    member, other = make_member(), make_member()
    letter = letters.save_letter(member, None, "follow-up-care", {"your_name": "Sam"})
    assert letters.find_own_letter(member, letter.id) is letter
    assert letters.find_own_letter(other, letter.id) is None
    with pytest.raises(letters.LetterError):
        letters.save_letter(other, letter, "follow-up-care", {"your_name": "Not Sam"})
    with pytest.raises(letters.LetterError):
        letters.delete_letter(other, letter)
    assert db.session.get(type(letter), letter.id).details["your_name"] == "Sam"


def test_the_word_document_opens_and_holds_the_members_words():
    rendered = letters.render(letters.ORIGINALS["specialist-referral"].body, FULL, "27 November 2026")
    document = docx.Document(BytesIO(letter_document("Asking for a referral", rendered.paragraphs)))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "Zoë O’Brien" in text and "A headache & neck pain <every day>" in text and "Zoë’s own paragraph." in text
    assert "Dear Dr Jane Smith," in text
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert document.styles["Normal"].font.name == "Arial"
    assert not document.inline_shapes
