"""The members' lounge: advocacy letters (the charity's templates, with every wording admins saved, and the letters
members fill in), the patient checklist as each member ticks and annotates it, and the symptom diary.

Everything a member writes here is theirs alone: no other member, moderator or admin ever reads it through the
site, and erasing an account deletes it (every row's owner key cascades)."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.accounts.models import User
from community.extensions import UTCDateTime, db, index_reference, utcnow

# How long being upright was bearable, in minutes (the upper end of each choice), with the words a member picks.
UPRIGHT_TIMES = {5: "Less than 5 minutes", 15: "5 to 15 minutes", 30: "15 to 30 minutes", 60: "30 minutes to an hour",
                 120: "1 to 2 hours", 240: "2 to 4 hours", 480: "More than 4 hours", 1440: "All day"}
SYMPTOMS = {"neck_pain": "Neck pain or stiffness", "nausea": "Nausea or sickness",
            "hearing": "Tinnitus or muffled hearing", "vision": "Blurred or double vision", "brain_fog": "Brain fog",
            "dizziness": "Dizziness"}
TREATMENTS = {"": "None", "blood_patch": "Epidural blood patch", "fibrin_glue": "Fibrin glue patch",
              "surgery": "Surgery to repair the leak", "scan": "A scan or test (like an MRI or a myelogram)",
              "medication": "A new medicine, or a change of dose", "other": "Something else"}


class LetterTemplateVersion(db.Model):
    """One saved wording of an advocacy letter template, by an admin, with why it changed. Members use the newest
    version of each template; until an admin saves one, the charity's original wording in the code is used, so
    every earlier wording stays here to read and restore."""

    id: Mapped[int] = mapped_column(primary_key=True)
    template_key: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(120))
    # One or two sentences on when to use this letter, shown where members choose one.
    purpose: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()


index_reference(LetterTemplateVersion.author_id)


class Letter(db.Model):
    """A letter a member is filling in from one template: the details they typed, by field name. The words of the
    letter come from the template's current wording when it is shown, printed or downloaded."""

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    template_key: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # The random token of the form that started it: the same new-letter form sent twice makes one letter.
    form_token: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("owner_id", "form_token"),)


class ChecklistMark(db.Model):
    """One checklist item as a member left it: ticked or not, and their own note."""

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(40))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("owner_id", "item_key"),)


class DiaryEntry(db.Model):
    """One symptom diary entry: the day it is about, the headache upright and lying down (0 to 10), how long being
    upright was bearable, symptoms, a treatment or procedure that day, and notes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    headache_upright: Mapped[int] = mapped_column(SmallInteger)
    headache_lying: Mapped[int] = mapped_column(SmallInteger)
    # A key of UPRIGHT_TIMES, or None when the member did not say.
    upright_minutes: Mapped[int | None] = mapped_column(Integer)
    # Keys of SYMPTOMS, comma-separated, in SYMPTOMS' order.
    symptoms: Mapped[str] = mapped_column(String(200), default="", server_default="")
    other_symptoms: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # A key of TREATMENTS ("" for none), and its details ("Second patch, at St George's").
    treatment: Mapped[str] = mapped_column(String(20), default="", server_default="")
    treatment_details: Mapped[str] = mapped_column(String(200), default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The random token of the form that made it: the same form sent twice (a double tap) makes one entry.
    form_token: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_diary_entry_owner_day", "owner_id", "day"),
                      UniqueConstraint("owner_id", "form_token"))

    @property
    def symptom_keys(self) -> list[str]:
        return [key for key in self.symptoms.split(",") if key]
