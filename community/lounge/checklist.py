"""The patient checklist: the resource hub's steps for managing your care (in our own words), which each member
ticks and annotates for themselves.

Only what a member actually marked is stored: an item left unticked with no note has no row, so clearing an
item forgets it."""

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from community.accounts.models import User
from community.extensions import db, utcnow
from community.refusals import Refusal

from .models import ChecklistMark

NOTE_MAX = 1000
# Control characters (other than tab and newline) have no place in a note, and Word and XML refuse some of them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    text: str


ITEMS = (
    ChecklistItem("keep_diary", "Keep a symptom diary",
                  "Write down how your symptoms change through the day: above all how your headache changes when "
                  "you sit or stand up and when you lie down, and any sickness, dizziness or trouble thinking. A "
                  "steady record helps you and your doctors see the pattern."),
    ChecklistItem("ask_imaging", "Ask about the right scans",
                  "Ask about an MRI of your brain and your whole spine. Say it should include the sequences that can "
                  "show signs of a leak, such as low pressure in the brain or fluid collecting outside the spinal "
                  "sac."),
    ChecklistItem("discuss_treatment", "Talk about treatment",
                  "Ask whether an epidural blood patch could be offered. Check that follow-up is part of the plan, "
                  "so someone looks at whether it worked and at any symptoms that are left."),
    ChecklistItem("ask_specialist", "Ask for a specialist",
                  "If your local team has little experience of CSF leaks, ask to be referred to someone who has. "
                  "You can bring the details of a specialist or centre you would like to see."),
    ChecklistItem("prepare_appointments", "Prepare for each appointment",
                  "Take a short summary of your medical history, your scan reports and your symptom diary, and a "
                  "list of the questions that matter most to you."),
    ChecklistItem("bring_support", "Take someone with you",
                  "A friend, relative or advocate can take notes, help you remember what was agreed, and speak up "
                  "if you run out of energy."),
    ChecklistItem("follow_up", "Follow up afterwards",
                  "Read your notes soon after. If a referral, a scan or a letter was promised and you have not heard "
                  "within a few weeks, get in touch to ask where it is."),
)
ITEM_KEYS = tuple(item.key for item in ITEMS)


class ChecklistError(Refusal):
    """A checklist we cannot save as it is (a note too long)."""


def clean_note(text: str | None) -> str:
    return _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip()


def marks_for(user: User) -> dict[str, ChecklistMark]:
    """The member's marks, by item key (items they never marked are absent)."""
    marks = db.session.scalars(select(ChecklistMark).where(ChecklistMark.owner_id == user.id))
    return {mark.item_key: mark for mark in marks if mark.item_key in ITEM_KEYS}


def save_checklist(user: User, done: set[str], notes: dict[str, str]) -> int:
    """Save the whole checklist as the member left it: `done` holds the ticked items' keys, `notes` their notes by
    key. Returns how many items are done. Refuses (changing nothing) a note longer than NOTE_MAX."""
    cleaned = {key: clean_note(notes.get(key)) for key in ITEM_KEYS}
    for item in ITEMS:
        if len(cleaned[item.key]) > NOTE_MAX:
            raise ChecklistError(f"Your note on “{item.title}” is {len(cleaned[item.key]):,} characters long. Make it "
                                 f"{NOTE_MAX:,} characters or fewer.", f"note_{item.key}")
    try:
        _write_marks(user, done, cleaned)
    except IntegrityError:
        # The same member saved in two tabs at once: the other save made a row first. Write over it.
        db.session.rollback()
        _write_marks(user, done, cleaned)
    return sum(1 for key in ITEM_KEYS if key in done)


def _write_marks(user: User, done: set[str], notes: dict[str, str]) -> None:
    marks = marks_for(user)
    now = utcnow()
    for key in ITEM_KEYS:
        mark, ticked, note = marks.get(key), key in done, notes[key]
        if not ticked and not note:
            if mark is not None:
                db.session.delete(mark)
            continue
        if mark is None:
            mark = ChecklistMark(owner_id=user.id, item_key=key)
            db.session.add(mark)
        if mark.done != ticked or mark.note != note:
            mark.done, mark.note, mark.updated_at = ticked, note, now
    db.session.commit()
