"""The symptom diary's rules: what an entry may hold (checked here, refused kindly with the field it is about), saving,
changing and deleting a member's own entries, the entries of a period, the appointment summary's figures, and the
CSV download.

Every function takes the member and plain values; only the member's own entries are ever read or changed (the pages
answer 404 for anyone else's id before they get here, and the queries here filter on the owner as well)."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select

from community.action_limits import ActionLimit
from community.csv_safe import csv_text
from community.dates import DEFAULT_ZONE
from community.extensions import commit_or_existing, db, utcnow
from community.forms import form_token_or_none
from community.refusals import Refusal

from .models import SYMPTOMS, TREATMENTS, UPRIGHT_TIMES, DiaryEntry

TEXT_MAX = 200
NOTES_MAX = 2_000
EARLIEST = date(2000, 1, 1)
LONGEST_PERIOD_DAYS = 366
CHART_WEEKS = (2, 4, 8, 12)
DEFAULT_WEEKS = 4
# Saving (new entries and changes) per member: far above any real use, low enough to stop a runaway script.
SAVE_LIMIT = ActionLimit("diary-save", "120 per hour;500 per day")

CSV_HEADER = ["date", "headache_upright", "headache_lying", "upright_bearable", "upright_minutes", "symptoms",
              "other_symptoms", "treatment", "treatment_details", "notes"]
SYMPTOM_SEPARATOR = "; "

# Control characters other than tab and line breaks (a pasted NUL or escape code is never meant).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class DiaryError(Refusal):
    """A diary entry or period we refuse, with a kind message and the field it is about."""


def today_for(user) -> date:
    """Today's date where the member lives (their chosen time zone)."""
    return datetime.now(ZoneInfo(getattr(user, "time_zone", None) or DEFAULT_ZONE)).date()


def _text(value, limit: int, field_name: str, what: str, multiline: bool = False) -> str:
    text = _CONTROL.sub("", str(value or "")).replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = " ".join(text.split())
    text = text.strip()
    if len(text) > limit:
        raise DiaryError(f"{what} can be up to {limit:,} characters long. You have written {len(text):,}: "
                         "please shorten it a little.", field_name)
    return text


def parse_day(value, field_name: str = "day", today: date | None = None) -> date:
    """A date from the form ("2026-11-27" from a date picker, or "27/11/2026" typed): from 2000 up to today."""
    refusal = DiaryError("The date must be today or earlier. Enter a real date, for example 27/11/2026.",
                         field_name)
    if isinstance(value, date):
        found = value
    else:
        text = str(value or "").strip()
        try:
            if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
                year, month, day_number = (int(part) for part in text.split("-"))
            elif re.fullmatch(r"\d{1,2}[/. -]\d{1,2}[/. -]\d{4}", text):
                day_number, month, year = (int(part) for part in re.split(r"[/. -]", text))
            else:
                raise refusal
            found = date(year, month, day_number)
        except ValueError:
            raise refusal from None
    if found < EARLIEST or (today is not None and found > today):
        raise refusal
    return found


def _score(value, field_name: str, how: str) -> int:
    refusal = DiaryError(f"Choose how bad your headache was {how}, from 0 to 10.", field_name)
    if isinstance(value, bool):
        raise refusal
    try:
        score = int(str(value).strip()) if value is not None and str(value).strip() != "" else None
    except ValueError:
        raise refusal from None
    if score is None or not 0 <= score <= 10:
        raise refusal
    return score


def _upright(value) -> int | None:
    if value is None or str(value).strip() in ("", "None"):
        return None
    try:
        minutes = int(str(value).strip())
    except ValueError:
        minutes = None
    if minutes not in UPRIGHT_TIMES:
        raise DiaryError("Choose one of the times listed for how long you could be upright.", "upright_minutes")
    return minutes


def _symptoms(values) -> str:
    if isinstance(values, str):
        values = [values]
    chosen = {str(value) for value in values or [] if value}
    unknown = chosen - SYMPTOMS.keys()
    if unknown:
        raise DiaryError("Choose symptoms from the list. Write anything else under “Other symptoms”.", "symptoms")
    return ",".join(key for key in SYMPTOMS if key in chosen)


def _treatment(value) -> str:
    key = "" if value is None or str(value) == "None" else str(value)
    if key not in TREATMENTS:
        raise DiaryError("Choose a treatment or procedure from the list, or “None”.", "treatment")
    return key


@dataclass
class EntryValues:
    day: date
    headache_upright: int
    headache_lying: int
    upright_minutes: int | None
    symptoms: str
    other_symptoms: str
    treatment: str
    treatment_details: str
    notes: str


def check_entry(user, *, day, headache_upright, headache_lying, upright_minutes=None, symptoms=(),
                other_symptoms="", treatment="", treatment_details="", notes="") -> EntryValues:
    """The entry's values, cleaned, or a DiaryError about the first thing to put right (in the form's order)."""
    return EntryValues(
        day=parse_day(day, today=today_for(user)),
        headache_upright=_score(headache_upright, "headache_upright", "upright"),
        headache_lying=_score(headache_lying, "headache_lying", "lying down"),
        upright_minutes=_upright(upright_minutes),
        symptoms=_symptoms(symptoms),
        other_symptoms=_text(other_symptoms, TEXT_MAX, "other_symptoms", "Other symptoms"),
        treatment=_treatment(treatment),
        treatment_details=_text(treatment_details, TEXT_MAX, "treatment_details", "The treatment’s details"),
        notes=_text(notes, NOTES_MAX, "notes", "Notes", multiline=True))


def _entry_made_by(user, form_token: str | None) -> DiaryEntry | None:
    if not form_token:
        return None
    return db.session.scalar(select(DiaryEntry).where(DiaryEntry.owner_id == user.id,
                                                      DiaryEntry.form_token == form_token))


def save_entry(user, entry: DiaryEntry | None, form_token: str | None = None, **values) -> DiaryEntry:
    """Add a new entry (entry None) or change one of the member's own, from the form's values. A new entry's
    `form_token` (from its form) makes a second sending of the same form (a double tap, a retried request) return
    the entry the first one made, instead of a copy."""
    if entry is not None and entry.owner_id != user.id:
        raise DiaryError("You can only change your own diary entries.")
    form_token = form_token_or_none(form_token)
    if entry is None and (made := _entry_made_by(user, form_token)) is not None:
        return made
    if not SAVE_LIMIT.allows(user.id):
        raise DiaryError("You have saved a lot of diary entries in a short time. Please wait an hour and try again: "
                         "nothing you typed is lost while this page stays open.")
    checked = check_entry(user, **values)
    if entry is None:
        entry = DiaryEntry(owner_id=user.id, form_token=form_token)
        db.session.add(entry)
    for name, value in vars(checked).items():
        setattr(entry, name, value)
    entry.updated_at = utcnow()
    # The same form, sent twice at once: the other request saved it first.
    if (made := commit_or_existing(lambda: _entry_made_by(user, form_token))) is not None:
        return made
    SAVE_LIMIT.count(user.id)
    return entry


def delete_entry(user, entry: DiaryEntry) -> None:
    if entry.owner_id != user.id:
        raise DiaryError("You can only delete your own diary entries.")
    db.session.execute(delete(DiaryEntry).where(DiaryEntry.id == entry.id, DiaryEntry.owner_id == user.id))
    db.session.commit()


def own_entry(user, entry_id) -> DiaryEntry | None:
    """The member's own entry with this id, or None (someone else's and a made-up id are alike)."""
    try:
        entry_id = int(entry_id)
    except (TypeError, ValueError):
        return None
    if not 0 < entry_id < 2**31:
        return None
    return db.session.scalar(select(DiaryEntry).where(DiaryEntry.id == entry_id, DiaryEntry.owner_id == user.id))


def latest_entry(user) -> DiaryEntry | None:
    """The member's most recent entry (by its day, then when it was made), for the form's starting values."""
    return db.session.scalar(select(DiaryEntry).where(DiaryEntry.owner_id == user.id)
                             .order_by(DiaryEntry.day.desc(), DiaryEntry.id.desc()).limit(1))


def recent_entries(user, limit: int = 10) -> list[DiaryEntry]:
    return list(db.session.scalars(select(DiaryEntry).where(DiaryEntry.owner_id == user.id)
                                   .order_by(DiaryEntry.day.desc(), DiaryEntry.id.desc()).limit(limit)))


PER_PAGE = 20


@dataclass
class EntriesPage:
    """One page of all the member's entries, newest first: `first` and `last` count from 1 among them all."""
    entries: list[DiaryEntry]
    number: int
    pages: int
    total: int

    @property
    def first(self) -> int:
        return (self.number - 1) * PER_PAGE + 1 if self.entries else 0

    @property
    def last(self) -> int:
        return self.first + len(self.entries) - 1 if self.entries else 0


def page_number(value) -> int:
    """The page asked for by ?page= (anything that is not a whole number gives page 1)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def entries_page(user, page) -> EntriesPage:
    """A page of every entry of the member's, newest first (by day, then the latest made first), 20 to a page; a page
    past the end gives the last page. Two queries, however many entries."""
    total = db.session.scalar(select(func.count()).select_from(DiaryEntry).where(DiaryEntry.owner_id == user.id))
    pages = max(1, -(-total // PER_PAGE))
    number = min(page_number(page), pages)
    entries = list(db.session.scalars(select(DiaryEntry).where(DiaryEntry.owner_id == user.id)
                                      .order_by(DiaryEntry.day.desc(), DiaryEntry.id.desc())
                                      .limit(PER_PAGE).offset((number - 1) * PER_PAGE))) if total else []
    return EntriesPage(entries=entries, number=number, pages=pages, total=total)


def entries_between(user, start: date, end: date) -> list[DiaryEntry]:
    """The member's entries from `start` to `end` (both included), oldest first."""
    return list(db.session.scalars(select(DiaryEntry).where(DiaryEntry.owner_id == user.id,
                                                            DiaryEntry.day >= start, DiaryEntry.day <= end)
                                   .order_by(DiaryEntry.day, DiaryEntry.id)))


def weeks_from(value) -> int:
    """The chart's period in weeks from ?weeks= (anything unexpected gives the default)."""
    try:
        weeks = int(value)
    except (TypeError, ValueError):
        return DEFAULT_WEEKS
    return weeks if weeks in CHART_WEEKS else DEFAULT_WEEKS


def last_weeks(user, weeks: int) -> tuple[date, date]:
    """The `weeks` weeks up to and including today, in the member's zone."""
    today = today_for(user)
    return today - timedelta(days=7 * weeks - 1), today


def check_period(user, start_text, end_text) -> tuple[date, date]:
    """The summary's period from its form, or the last 4 weeks when neither is given; refused kindly when the
    dates are not real, in the future, the wrong way round, or more than a year apart."""
    today = today_for(user)
    if not (start_text or "").strip() and not (end_text or "").strip():
        return last_weeks(user, DEFAULT_WEEKS)
    end = parse_day(end_text, "end", today) if (end_text or "").strip() else today
    if not (start_text or "").strip():
        raise DiaryError("Enter the first day of the period, for example 1/11/2026.", "start")
    start = parse_day(start_text, "start", today)
    if start > end:
        raise DiaryError("The first day must be on or before the last day.", "start")
    if (end - start).days >= LONGEST_PERIOD_DAYS:
        raise DiaryError("Choose a period of a year or less.", "start")
    return start, end


# The summary's figures ----------------------------------------------------------------------------------------

def one_decimal(value: Decimal) -> Decimal:
    """Rounded the way people do (2.25 → 2.3), not the way floats do."""
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# How each treatment reads in "Before the … on 15 November 2026" (the list's labels start with capitals or "A").
IN_A_SENTENCE = {"blood_patch": "the epidural blood patch", "fibrin_glue": "the fibrin glue patch",
                 "surgery": "the surgery to repair the leak", "scan": "the scan or test",
                 "medication": "the new medicine or change of dose", "other": "the treatment or procedure"}


@dataclass
class BeforeAfter:
    """A treatment's day, with the average headache scores of every entry in the period before that day and of every
    entry after it (the day's own entries are in neither)."""
    day: date
    treatment: str  # as it reads in a sentence: "the epidural blood patch"
    before_count: int
    before_upright: Decimal
    before_lying: Decimal
    after_count: int
    after_upright: Decimal
    after_lying: Decimal


@dataclass
class Summary:
    start: date
    end: date
    entries: list[DiaryEntry]
    average_upright: Decimal | None = None
    average_lying: Decimal | None = None
    # Upright minus lying, from the two averages as shown (so the three figures always agree).
    difference: Decimal | None = None
    typical_upright: str | None = None
    upright_noted: int = 0
    symptom_counts: list[tuple[str, int]] = field(default_factory=list)
    treatments: list[DiaryEntry] = field(default_factory=list)
    notes: list[DiaryEntry] = field(default_factory=list)
    before_after: list[BeforeAfter] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.entries)


def median_upright(minutes: list[int]) -> int | None:
    """The typical upright time: the middle of the noted times (the lower middle one when there are two, as the
    times are choices, not numbers to average)."""
    if not minutes:
        return None
    ordered = sorted(minutes)
    return ordered[(len(ordered) - 1) // 2]


def _averages(entries: list[DiaryEntry]) -> tuple[Decimal, Decimal]:
    count = Decimal(len(entries))
    return (one_decimal(Decimal(sum(entry.headache_upright for entry in entries)) / count),
            one_decimal(Decimal(sum(entry.headache_lying for entry in entries)) / count))


def before_and_after(entries: list[DiaryEntry]) -> list[BeforeAfter]:
    """For each treatment or procedure (once per kind and day, in the order of the days) with at least one entry
    before its day and one after it: the averages before and after. Before is every entry of `entries` before the
    day, after is every entry after it: simple to explain, even when there were several treatments."""
    found = []
    seen = set()
    for entry in entries:
        if not entry.treatment or entry.treatment not in TREATMENTS or (entry.day, entry.treatment) in seen:
            continue
        seen.add((entry.day, entry.treatment))
        before = [other for other in entries if other.day < entry.day]
        after = [other for other in entries if other.day > entry.day]
        if before and after:
            name = IN_A_SENTENCE.get(entry.treatment, "the treatment or procedure")
            found.append(BeforeAfter(entry.day, name, len(before), *_averages(before), len(after), *_averages(after)))
    return sorted(found, key=lambda item: item.day)


def summarise(entries: list[DiaryEntry], start: date, end: date) -> Summary:
    """The appointment summary's figures for these entries (one period's, oldest first)."""
    summary = Summary(start=start, end=end, entries=entries)
    if not entries:
        return summary
    summary.average_upright, summary.average_lying = _averages(entries)
    summary.difference = summary.average_upright - summary.average_lying
    noted = [entry.upright_minutes for entry in entries if entry.upright_minutes in UPRIGHT_TIMES]
    summary.upright_noted = len(noted)
    typical = median_upright(noted)
    summary.typical_upright = UPRIGHT_TIMES[typical] if typical is not None else None
    for key, label in SYMPTOMS.items():
        times = sum(1 for entry in entries if key in entry.symptom_keys)
        if times:
            summary.symptom_counts.append((label, times))
    others = sum(1 for entry in entries if entry.other_symptoms)
    if others:
        summary.symptom_counts.append(("Other symptoms (written in)", others))
    summary.treatments = [entry for entry in entries if entry.treatment or entry.treatment_details]
    summary.notes = [entry for entry in entries if entry.notes]
    summary.before_after = before_and_after(entries)
    return summary


def period_summary(user, start: date, end: date) -> Summary:
    return summarise(entries_between(user, start, end), start, end)


# Words for pages and the CSV ----------------------------------------------------------------------------------

def symptom_labels(entry: DiaryEntry) -> list[str]:
    return [SYMPTOMS[key] for key in entry.symptom_keys if key in SYMPTOMS]


def treatment_label(entry: DiaryEntry) -> str:
    return TREATMENTS.get(entry.treatment, "") if entry.treatment else ""


def upright_label(entry: DiaryEntry) -> str:
    return UPRIGHT_TIMES.get(entry.upright_minutes, "") if entry.upright_minutes is not None else ""


def csv_rows(entries: list[DiaryEntry]) -> list[list[object]]:
    return [[entry.day.isoformat(), entry.headache_upright, entry.headache_lying, upright_label(entry),
             "" if entry.upright_minutes is None else entry.upright_minutes,
             SYMPTOM_SEPARATOR.join(symptom_labels(entry)), entry.other_symptoms, treatment_label(entry),
             entry.treatment_details, entry.notes] for entry in entries]


def diary_csv(user) -> str:
    """Every entry of the member's, oldest first, as a spreadsheet-safe CSV."""
    entries = list(db.session.scalars(select(DiaryEntry).where(DiaryEntry.owner_id == user.id)
                                      .order_by(DiaryEntry.day, DiaryEntry.id)))
    return csv_text(CSV_HEADER, csv_rows(entries))


def csv_filename(user) -> str:
    return f"symptom-diary-{today_for(user).isoformat()}.csv"
