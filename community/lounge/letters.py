"""Advocacy letters: the three templates (the charity's original wording here, every admin's saved wording in
LetterTemplateVersion), checking an admin's wording, the letter's fields and their rules, turning a template and a
member's details into the letter's paragraphs, and saving, listing and deleting a member's own letters."""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from community.accounts.models import User
from community.action_limits import ActionLimit
from community.dates import DEFAULT_ZONE, day_and_time
from community.extensions import commit_or_existing, db, utcnow
from community.forms import form_token_or_none
from community.moderation.services import record_action
from community.refusals import Refusal

from .models import Letter, LetterTemplateVersion

# New letters per member: plenty for real use, and a script cannot fill the table.
NEW_LETTER_LIMIT = ActionLimit("new-letter", "30 per hour;100 per day")
TITLE_MAX = 120
PURPOSE_MAX = 600
BODY_MAX = 20_000
NOTE_MAX = 200


class LetterError(Refusal):
    """A letter, or a template's wording, we refuse to save."""


@dataclass(frozen=True)
class LetterField:
    label: str
    hint: str
    meaning: str          # what the placeholder stands for, beside the admins' editor
    max_length: int
    multiline: bool = False
    optional: bool = False
    autocomplete: str = ""


# The letter form's fields, in the form's order. Their names are the placeholders a template may use.
FIELDS: dict[str, LetterField] = {
    "your_name": LetterField("Your name", "As you would sign the letter.", "the member's name", 100,
                             autocomplete="name"),
    "your_address": LetterField("Your address", "Put each part on its own line, with your postcode.",
                                "the member's address (several lines)", 400, multiline=True,
                                autocomplete="street-address"),
    "nhs_number": LetterField("Your NHS number (optional)",
                              "10 digits, like 943 476 5919. It is on letters from the NHS and in the NHS App. "
                              "It helps them find your records.", "the member's NHS number (the line is left out "
                              "when none is given)", 20, optional=True, autocomplete="off"),
    "clinician": LetterField("Who the letter is to", "Their name and title, like Dr Jane Smith.",
                             "the clinician the letter is to", 120),
    "practice": LetterField("Their practice or hospital, with its address",
                            "Put each part on its own line, like: The Surgery, 1 High Street, Leeds, LS1 1AA.",
                            "the practice or hospital, with its address (several lines)", 400, multiline=True),
    "procedure": LetterField("The procedure you had", "Like “a lumbar puncture” or “an epidural during labour”.",
                             "the procedure, like “a lumbar puncture”", 200),
    "procedure_date": LetterField("When you had it",
                                  "A date, or as near as you remember, like “March 2024”.",
                                  "when the procedure was, in the member's words", 60),
    "symptoms": LetterField("Your symptoms", "What you feel, and how it affects your day. Short notes are fine.",
                            "the member's symptoms", 3000, multiline=True),
    "upright_vs_lying": LetterField("How your symptoms change when you are upright and when you lie down",
                                    "For example: “The headache starts within 15 minutes of sitting up and eases "
                                    "after lying flat for half an hour.”",
                                    "how the symptoms change upright and lying down", 2000, multiline=True),
    "request": LetterField("What you are asking for",
                           "Like “a referral to a CSF leak specialist” or “an MRI of my whole spine”.",
                           "what the member is asking for", 2000, multiline=True),
    "own_words": LetterField("Anything else you want to say (optional)",
                             "A paragraph in your own words. It goes in just before the closing lines.",
                             "the member's own paragraph (left out when empty)", 3000, multiline=True,
                             optional=True),
}
TODAY = "today"
# Every placeholder a template may use, with what it means, for the admins' editor.
PLACEHOLDERS: dict[str, str] = {TODAY: "the letter's date, like 27 November 2026",
                                **{name: spec.meaning for name, spec in FIELDS.items()}}
OPTIONAL = frozenset(name for name, spec in FIELDS.items() if spec.optional)


@dataclass(frozen=True)
class Wording:
    """A template as members use it now (or as one saved version had it)."""

    key: str
    title: str
    purpose: str
    body: str
    version_id: int | None = None       # None: the charity's original wording, from the code
    created_at: datetime | None = None
    note: str = ""
    author_name: str = ""


_SENDER = "{your_name}\n{your_address}\nNHS number: {nhs_number}"
_RECIPIENT = "{clinician}\n{practice}"
_CLOSING = ("{own_words}\n\nThank you for your time and help. I look forward to hearing from you.\n\n"
            "Yours sincerely,\n\n{your_name}")

ORIGINALS: dict[str, Wording] = {
    "challenge-dismissal": Wording(
        "challenge-dismissal", "Asking for further investigation or a second opinion",
        "When you feel your symptoms have been dismissed, or you have no diagnosis yet: ask for more tests, or for "
        "a second opinion from someone who knows CSF leaks.",
        f"""{_SENDER}

{{today}}

{_RECIPIENT}

Dear {{clinician}},

Request for further investigation of a possible spinal CSF leak

I am writing about the symptoms I have had since {{procedure}} ({{procedure_date}}). I am grateful for the care I \
have had so far, but I do not feel my concerns have been fully looked into, and I do not yet have a diagnosis that \
explains my symptoms.

My symptoms are:
{{symptoms}}

They change with my position: {{upright_vs_lying}}

A headache and other symptoms that worsen when upright and ease when lying flat are typical of a leak of \
cerebrospinal fluid (CSF), which can follow a dural puncture. Scans do not always show a leak, and a normal or \
“negative” scan does not rule one out, particularly a slow leak.

I am therefore asking for: {{request}}

If you feel a leak is unlikely, I would be grateful if you could explain why in writing, and refer me for a second \
opinion from a clinician with experience of CSF leaks, such as a neurologist or neuroradiologist.

{_CLOSING}
"""),
    "follow-up-care": Wording(
        "follow-up-care", "Asking for follow-up care",
        "After a treatment such as a blood patch, or a first appointment: ask for a review of how it went and a "
        "plan for what happens next.",
        f"""{_SENDER}

{{today}}

{_RECIPIENT}

Dear {{clinician}},

Request for follow-up care

I am writing to ask for follow-up care for a suspected or confirmed spinal CSF leak, which began after {{procedure}} \
({{procedure_date}}).

My symptoms now are:
{{symptoms}}

They change with my position: {{upright_vs_lying}}

I would like my progress to be reviewed, so that we can see whether the treatment so far has worked and agree what \
should happen next. Symptoms that continue or come back can mean a leak has not fully sealed, and delays can make \
recovery harder.

I am asking for: {{request}}

I would be grateful if you could let me know when I can expect to be seen, and who I should contact if my symptoms \
get worse in the meantime.

{_CLOSING}
"""),
    "specialist-referral": Wording(
        "specialist-referral", "Asking for a referral to a CSF leak specialist",
        "When local teams have little experience of CSF leaks: ask to be referred to a specialist or a centre "
        "that diagnoses and treats them.",
        f"""{_SENDER}

{{today}}

{_RECIPIENT}

Dear {{clinician}},

Request for referral to a CSF leak specialist

I am writing to ask for a referral to a specialist with experience in diagnosing and treating spinal CSF leaks. My \
symptoms began after {{procedure}} ({{procedure_date}}).

My symptoms are:
{{symptoms}}

They change with my position: {{upright_vs_lying}}

This pattern strongly suggests a CSF leak. Leaks can be hard to find on standard scans, and specialist teams use \
imaging and treatments that are not available everywhere. Because my symptoms have a significant effect on my daily \
life, I would ask that the referral is marked as urgent.

I am asking for: {{request}}

If you are not able to make this referral, I would be grateful for a written explanation of the reasons, so that I \
can consider my options, including asking for the decision to be reconsidered.

{_CLOSING}
"""),
}
TEMPLATE_KEYS = tuple(ORIGINALS)


# Cleaning ------------------------------------------------------------------------------------------------------

# Control characters (python-docx and XML refuse them) except the newline; tabs become spaces.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(value: str | None, multiline: bool = True) -> str:
    """Drop NUL and other control characters, normalise line endings and strip; one line unless `multiline`."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL.sub("", text)
    if not multiline:
        text = " ".join(text.split("\n"))
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def nhs_number_is_valid(digits: str) -> bool:
    """The NHS number's modulus 11 check: 10 digits, the last one a check digit."""
    if not re.fullmatch(r"[0-9]{10}", digits):
        return False
    remainder = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _nhs_number(text: str) -> str:
    if not text:
        return ""
    digits = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise LetterError("Enter your NHS number as 10 digits, like 943 476 5919, or leave it empty.", "nhs_number")
    if not nhs_number_is_valid(digits):
        raise LetterError("That is not a valid NHS number. Check the digits against a letter from the NHS, or "
                          "leave it empty.", "nhs_number")
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def clean_details(details: dict) -> dict[str, str]:
    """The member's details, cleaned and checked, keyed by field: anything else is dropped."""
    cleaned = {}
    for name, spec in FIELDS.items():
        value = details.get(name)
        text = clean_text(value if isinstance(value, str) else "", spec.multiline)
        if len(text) > spec.max_length:
            raise LetterError(f"{spec.label.removesuffix(' (optional)')}: please keep this to {spec.max_length:,} "
                              f"characters. It is {len(text):,} now.", name)
        cleaned[name] = text
    cleaned["nhs_number"] = _nhs_number(cleaned["nhs_number"])
    return cleaned


# Templates -----------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\{([^{}\n]*)\}")
NOT_SURE_WHICH_VERSION = ("We could not tell which version of the template you started from, so nothing was saved. "
                          "Your text is still below: copy it, open the template again, then paste in your changes.")


def known_placeholders() -> str:
    return ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


def check_body(body: str) -> None:
    """Refuse a wording with a placeholder we do not know, or a stray brace, saying which and what to use."""
    for match in _TOKEN.finditer(body):
        if match.group(1) not in PLACEHOLDERS:
            raise LetterError(f"“{match.group(0)}” is not a placeholder we know. You can use: "
                              f"{known_placeholders()}.", "body")
    rest = _TOKEN.sub("", body)
    if "{" in rest or "}" in rest:
        brace = "{" if "{" in rest else "}"
        line = next(line for line in rest.split("\n") if brace in line)
        raise LetterError(f"There is a “{brace}” on its own (in “{line.strip()[:60]}”). Curly braces are only for "
                          "placeholders, like {your_name}: close the placeholder, or take the brace out.", "body")


def _wording(version: LetterTemplateVersion) -> Wording:
    return Wording(version.template_key, version.title, version.purpose, version.body, version.id,
                   version.created_at, version.note, version.author.display_name if version.author else "")


def _newest_versions() -> dict[str, LetterTemplateVersion]:
    newest = select(func.max(LetterTemplateVersion.id)).group_by(LetterTemplateVersion.template_key)
    versions = db.session.scalars(select(LetterTemplateVersion).where(LetterTemplateVersion.id.in_(newest)))
    return {version.template_key: version for version in versions}


def current_wordings() -> dict[str, Wording]:
    """Every template as members use it now, in the templates' order (one query)."""
    newest = _newest_versions()
    return {key: Wording(key, newest[key].title, newest[key].purpose, newest[key].body, newest[key].id,
                         newest[key].created_at, newest[key].note) if key in newest else original
            for key, original in ORIGINALS.items()}


def current_wording(key: str) -> Wording | None:
    """The template as members use it now: its newest saved version, else the original; None for no template."""
    if key not in ORIGINALS:
        return None
    version = db.session.scalar(select(LetterTemplateVersion).options(joinedload(LetterTemplateVersion.author))
                                .where(LetterTemplateVersion.template_key == key)
                                .order_by(LetterTemplateVersion.id.desc()).limit(1))
    return _wording(version) if version is not None else ORIGINALS[key]


def template_history(key: str) -> list[Wording]:
    """Every saved version, newest first, then the charity's original wording."""
    versions = db.session.scalars(select(LetterTemplateVersion).options(joinedload(LetterTemplateVersion.author))
                                  .where(LetterTemplateVersion.template_key == key)
                                  .order_by(LetterTemplateVersion.id.desc()))
    return [*(_wording(version) for version in versions), ORIGINALS[key]]


def find_version(key: str, version_id: int) -> Wording | None:
    version = db.session.get(LetterTemplateVersion, version_id) if 0 < version_id < 2**31 else None
    return _wording(version) if version is not None and version.template_key == key else None


def version_number(text: str | None) -> int:
    """The version an admin's edit started from, as the editor's hidden field sent it: 0 for the original wording.
    Anything but a plain number is refused, never taken to mean "do not check"."""
    if text is None or not re.fullmatch(r"[0-9]{1,10}", text) or not 0 <= int(text) < 2**31:
        raise LetterError(NOT_SURE_WHICH_VERSION)
    return int(text)


def save_template(author: User, key: str, title: str, purpose: str, body: str, note: str,
                  based_on_version: int | None, action: str = "letter_template.edit") -> LetterTemplateVersion:
    """Save an admin's wording as a new version, after checking its placeholders. Refused if someone saved in
    between (`based_on_version`: the version the admin started from, 0 for the original; None only to restore)."""
    if key not in ORIGINALS:
        raise LetterError("There is no letter template with that name.")
    current = current_wording(key)
    if based_on_version is not None and based_on_version != (current.version_id or 0):
        raise LetterError("Someone else saved this template after you opened it. Your text is still below: copy "
                          "what you need, then open the template again to see their changes.")
    title, purpose, note = clean_text(title, False), clean_text(purpose), clean_text(note, False)
    body = clean_text(body)
    if not title:
        raise LetterError("Enter a title for the template.", "title")
    if len(title) > TITLE_MAX:
        raise LetterError(f"Keep the title to {TITLE_MAX} characters.", "title")
    if not purpose:
        raise LetterError("Enter a sentence or two on when to use this letter.", "purpose")
    if len(purpose) > PURPOSE_MAX:
        raise LetterError(f"Keep the purpose to {PURPOSE_MAX} characters.", "purpose")
    if not body:
        raise LetterError("Enter the letter's wording.", "body")
    if len(body) > BODY_MAX:
        raise LetterError(f"Keep the wording to {BODY_MAX:,} characters.", "body")
    if len(note) > NOTE_MAX:
        raise LetterError(f"Keep the note to {NOTE_MAX} characters.", "note")
    check_body(body)
    version = LetterTemplateVersion(template_key=key, title=title, purpose=purpose, body=body + "\n", note=note,
                                    author_id=author.id, created_at=utcnow())
    db.session.add(version)
    db.session.flush()
    record_action(author, action, "letter_template", version.id, detail=f"{key}: {note}" if note else key)
    db.session.commit()
    return version


def restore_version(author: User, key: str, wording: Wording) -> LetterTemplateVersion:
    """Put an earlier wording (or the original) back, as a new version, so the history keeps everything."""
    when = (f"saved on {day_and_time(wording.created_at, DEFAULT_ZONE)} (UK time)" if wording.created_at
            else "the charity's original wording")
    note = f"Restored the version {when}" if wording.created_at else "Restored the charity's original wording"
    return save_template(author, key, wording.title, wording.purpose, wording.body, note, None,
                         action="letter_template.restore")


# Rendering -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    paragraphs: list[list[str]]     # each paragraph's lines
    missing: list[str]              # required fields still empty, in the form's order


PROMPTS = {"your_name": "your name", "your_address": "your address", "clinician": "their name",
           "practice": "their practice or hospital, and its address", "procedure": "the procedure",
           "procedure_date": "when you had it", "symptoms": "your symptoms",
           "upright_vs_lying": "how your symptoms change when upright and lying down",
           "request": "what you are asking for"}


def prompt(name: str) -> str:
    """What a required field left empty shows in the letter: "[your address]"."""
    return f"[{PROMPTS.get(name, name.replace('_', ' '))}]"


def render(body: str, details: dict, today: str) -> Rendered:
    """The letter's paragraphs from a template and the member's details. A line using an optional placeholder
    that is empty is left out; an empty required one shows as a bracketed prompt; multi-line values become several
    lines; runs of blank lines collapse. Values are put in once, so braces a member typed stay as typed."""
    values = {TODAY: today, **{name: (details.get(name) or "") for name in FIELDS}}
    missing: list[str] = []

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        if values[name] or name in OPTIONAL:
            return values[name]
        if name not in missing:
            missing.append(name)
        return prompt(name)

    lines = []
    for line in clean_text(body).split("\n"):
        names = _TOKEN.findall(line)
        if any(name in OPTIONAL and not values[name] for name in names):
            continue
        lines.extend(_TOKEN.sub(value, line).split("\n"))
    paragraphs, current = [], []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.rstrip())
        elif current:
            paragraphs.append(current)
            current = []
    order = list(FIELDS)
    return Rendered(paragraphs, sorted(missing, key=order.index))


# Members' letters ----------------------------------------------------------------------------------------------

def _letter_started_by(owner: User, form_token: str | None) -> Letter | None:
    if form_token is None:
        return None
    return db.session.scalar(select(Letter).where(Letter.owner_id == owner.id, Letter.form_token == form_token))


def save_letter(owner: User, letter: Letter | None, template_key: str, details: dict,
                autosave: bool = False, form_token: str | None = None) -> Letter:
    """Save a member's details, making the letter the first time (a member may save it half done). An autosave
    (the form's script, as the member types) never makes a letter with nothing in it. A new letter's `form_token`
    (from its form) makes a second sending of the same form change the letter the first one made."""
    cleaned = clean_details(details)
    form_token = form_token_or_none(form_token)
    if letter is None:
        letter = _letter_started_by(owner, form_token)
    if letter is None:
        if autosave and not any(cleaned.values()):
            raise LetterError("Nothing to save yet.")
        if template_key not in ORIGINALS:
            raise LetterError("There is no letter template with that name.")
        if not NEW_LETTER_LIMIT.allows(f"member:{owner.id}"):
            raise LetterError("You have started a lot of new letters in a short time, so this one has not been "
                              "saved. Please try again in an hour, or carry on with one of your letters. Your words "
                              "are still here.")
        NEW_LETTER_LIMIT.count(f"member:{owner.id}")
        letter = Letter(owner_id=owner.id, template_key=template_key, form_token=form_token, created_at=utcnow())
        db.session.add(letter)
    elif letter.owner_id != owner.id:
        raise LetterError("You can only change your own letters.")
    letter.details = cleaned
    letter.updated_at = utcnow()
    # The same new-letter form, sent twice at once: the other request made the letter. Save into it.
    if (first := commit_or_existing(lambda: _letter_started_by(owner, form_token))) is not None:
        letter = first
        letter.details, letter.updated_at = cleaned, utcnow()
        db.session.commit()
    return letter


def find_own_letter(owner: User, letter_id: int) -> Letter | None:
    """The member's own letter, or None for anyone else's (or none)."""
    letter = db.session.get(Letter, letter_id) if 0 < letter_id < 2**31 else None
    return letter if letter is not None and letter.owner_id == owner.id else None


def list_letters(owner: User) -> list[Letter]:
    return list(db.session.scalars(select(Letter).where(Letter.owner_id == owner.id)
                                   .order_by(Letter.updated_at.desc(), Letter.id.desc())))


def delete_letter(owner: User, letter: Letter) -> None:
    if letter.owner_id != owner.id:
        raise LetterError("You can only delete your own letters.")
    db.session.delete(letter)
    db.session.commit()
