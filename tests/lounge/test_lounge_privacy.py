"""What the lounge holds about a member goes into their data export, in words they would recognise, and is gone
after erasure; nobody else's letters, checklist or diary are touched. (Issue 13's export and erasure call
community.lounge.privacy; these tests hold the lounge to its part.)"""

from datetime import timedelta

from sqlalchemy import func, select

from community.extensions import db
from community.lounge import checklist, diary, letters, privacy
from community.lounge.models import ChecklistMark, DiaryEntry, Letter, LetterTemplateVersion
from tests.factories import make_member, make_user


def _fill(member, words: str):
    letters.save_letter(member, None, "specialist-referral", {"your_name": words, "request": f"{words}: a referral"})
    checklist.save_checklist(member, {"keep_diary"}, {"ask_specialist": f"{words}: ask Dr Shah"})
    diary.save_entry(member, None, day=diary.today_for(member) - timedelta(days=1), headache_upright=7,
                     headache_lying=2, upright_minutes=30, symptoms=["brain_fog", "hearing"],
                     other_symptoms="Metallic taste", treatment="blood_patch", treatment_details="First patch",
                     notes=f"{words}: better lying flat")


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return db.session.scalar(query)


def test_the_export_holds_every_letter_mark_and_diary_entry_in_plain_words(db):
    member = make_member()
    _fill(member, "Robin")
    exported = privacy.export_member_data(member)
    assert [letter["template"] for letter in exported["letters"]] == ["specialist-referral"]
    assert exported["letters"][0]["details"]["request"] == "Robin: a referral"
    assert {(mark["item"], mark["done"], mark["note"]) for mark in exported["checklist"]} == {
        ("keep_diary", True, ""), ("ask_specialist", False, "Robin: ask Dr Shah")}
    [entry] = exported["symptom_diary"]
    assert entry["headache_upright"] == 7 and entry["headache_lying"] == 2
    assert entry["upright_bearable"] == "15 to 30 minutes"
    assert entry["symptoms"] == ["Tinnitus or muffled hearing", "Brain fog"]
    assert entry["treatment"] == "Epidural blood patch" and entry["treatment_details"] == "First patch"
    assert entry["notes"] == "Robin: better lying flat" and entry["other_symptoms"] == "Metallic taste"


def test_the_export_has_nothing_of_anyone_else(db):
    member, other = make_member(), make_member()
    _fill(other, "Someone else")
    assert privacy.export_member_data(member) == {"letters": [], "checklist": [], "symptom_diary": [],
                                                  "letter_template_wordings_saved": []}


def test_erasure_removes_the_members_lounge_data_and_leaves_others_alone(db):
    member, other = make_member(), make_member()
    _fill(member, "Robin")
    _fill(other, "Kit")
    privacy.erase_member_data(member)
    db.session.commit()
    for model in (Letter, ChecklistMark, DiaryEntry):
        assert _count(model, owner_id=member.id) == 0
        assert _count(model, owner_id=other.id) > 0
    assert privacy.export_member_data(member)["symptom_diary"] == []


def test_an_erased_admins_template_wording_stays_without_their_name(db):
    admin = make_user(role="admin")
    original = letters.current_wording("follow-up-care")
    letters.save_template(admin, "follow-up-care", original.title, original.purpose, original.body + "\nP.S.",
                          "Added a postscript", letters.version_number("0"))
    assert privacy.export_member_data(admin)["letter_template_wordings_saved"][0]["note"] == "Added a postscript"
    privacy.erase_member_data(admin)
    db.session.commit()
    version = db.session.scalar(select(LetterTemplateVersion))
    assert version.author_id is None and "P.S." in letters.current_wording("follow-up-care").body
