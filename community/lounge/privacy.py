"""Everything the lounge holds about one member, for their data export, and its removal when they erase their
account. The privacy feature (issue 13) calls these; nothing here is shown to anyone but the member."""

from sqlalchemy import delete, select, update

from community.accounts.models import User
from community.dates import iso_or_none
from community.extensions import db
from community.privacy.registry import Erasure

from .models import SYMPTOMS, TREATMENTS, UPRIGHT_TIMES, ChecklistMark, DiaryEntry, Letter, LetterTemplateVersion


def export_member_data(user: User) -> dict:
    """The member's letters (the details they typed), checklist marks and diary entries, oldest first, as plain
    JSON-ready values with the words they chose (not just codes)."""
    letters = db.session.scalars(select(Letter).where(Letter.owner_id == user.id).order_by(Letter.id))
    marks = db.session.scalars(select(ChecklistMark).where(ChecklistMark.owner_id == user.id)
                               .order_by(ChecklistMark.id))
    entries = db.session.scalars(select(DiaryEntry).where(DiaryEntry.owner_id == user.id)
                                 .order_by(DiaryEntry.day, DiaryEntry.id))
    wordings = db.session.scalars(select(LetterTemplateVersion).where(LetterTemplateVersion.author_id == user.id)
                                  .order_by(LetterTemplateVersion.id))
    return {
        "letters": [{"template": letter.template_key, "details": dict(letter.details or {}),
                     "created_at": iso_or_none(letter.created_at), "updated_at": iso_or_none(letter.updated_at)}
                    for letter in letters],
        "checklist": [{"item": mark.item_key, "done": mark.done, "note": mark.note,
                       "updated_at": iso_or_none(mark.updated_at)} for mark in marks],
        "symptom_diary": [{
            "day": entry.day.isoformat(), "headache_upright": entry.headache_upright,
            "headache_lying": entry.headache_lying,
            "upright_bearable": UPRIGHT_TIMES.get(entry.upright_minutes) if entry.upright_minutes else None,
            "symptoms": [SYMPTOMS.get(key, key) for key in entry.symptom_keys],
            "other_symptoms": entry.other_symptoms,
            "treatment": TREATMENTS.get(entry.treatment, entry.treatment) if entry.treatment else None,
            "treatment_details": entry.treatment_details, "notes": entry.notes,
            "created_at": iso_or_none(entry.created_at), "updated_at": iso_or_none(entry.updated_at),
        } for entry in entries],
        "letter_template_wordings_saved": [{"template": version.template_key, "title": version.title,
                                            "note": version.note, "saved_at": iso_or_none(version.created_at)}
                                           for version in wordings],
    }


def erase_member_data(user: User, erasure: Erasure | None = None) -> None:
    """Delete the member's letters, checklist and diary; a template wording they saved as an admin stays (the
    charity's text) without their name. The caller commits, with the rest of the erasure."""
    for model in (Letter, ChecklistMark, DiaryEntry):
        db.session.execute(delete(model).where(model.owner_id == user.id))
    db.session.execute(update(LetterTemplateVersion).where(LetterTemplateVersion.author_id == user.id)
                       .values(author_id=None))
