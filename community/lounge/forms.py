"""The lounge's forms: a letter's details, an admin's template wording, the checklist, a diary entry.

Rules about what may be saved live in the services (a Refusal, shown beside its field), so the forms only carry
the words and give the labels and hints."""

from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from community.forms import Form

from . import checklist, letters
from .models import SYMPTOMS, TREATMENTS, UPRIGHT_TIMES

# The patient checklist -----------------------------------------------------------------------------------------

class ChecklistForm(Form):
    """One tick box and one note for each checklist item: `done_<key>` and `note_<key>`."""

    def item_fields(self):
        """(item, its tick box, its note) for each item, in order, for the page."""
        return [(item, self[f"done_{item.key}"], self[f"note_{item.key}"]) for item in checklist.ITEMS]


for _item in checklist.ITEMS:
    setattr(ChecklistForm, f"done_{_item.key}", BooleanField(f"I have done this: {_item.title}"))
    setattr(ChecklistForm, f"note_{_item.key}", TextAreaField(f"Your notes on “{_item.title}” (optional)"))


# Advocacy letters ----------------------------------------------------------------------------------------------

class LetterForm(Form):
    """A letter's details: one field for each of `letters.FIELDS` (their lengths and the NHS number are checked by
    the service, so a half-done letter can always be saved)."""

    # Set once the letter exists (the first autosave gives it), so Save changes that letter instead of making a
    # second one.
    letter_id = HiddenField()
    # A new letter's form carries a random token (community.forms.new_form_token): sent twice, it saves one letter.
    form_token = HiddenField()

    def letter_fields(self):
        return [self[name] for name in letters.FIELDS]

    def details(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in letters.FIELDS}


for _name, _spec in letters.FIELDS.items():
    _kw = {"autocomplete": _spec.autocomplete} if _spec.autocomplete else {}
    if _name == "nhs_number":
        _kw["inputmode"] = "numeric"
    setattr(LetterForm, _name, (TextAreaField if _spec.multiline else StringField)(
        _spec.label, description=_spec.hint, render_kw=_kw or None))


class LetterTemplateForm(Form):
    """An admin's wording of a template. `based_on_version` is the version they started from (0: the original)."""

    title = StringField("Title", description="What members see in the list of letters, like “Asking for a "
                        "referral to a CSF leak specialist”.")
    purpose = TextAreaField("When to use this letter", description="One or two sentences, shown under the title.")
    body = TextAreaField("The letter's wording", description="Plain text. Leave an empty line between paragraphs. "
                         "Put a placeholder in curly braces, like {your_name}, where the member's details go: the "
                         "placeholders you can use are listed on this page.")
    note = StringField("What did you change? (optional)", description="Shown in the template's history.")
    based_on_version = HiddenField()


# The symptom diary ---------------------------------------------------------------------------------------------

SCORE_HINT = "0 is no headache, 10 is the worst you can imagine."
SCORES = [SelectChoice(str(score), str(score)) for score in range(11)]


class DiaryEntryForm(Form):
    """One diary entry. The date is a date picker (typed dates like 27/11/2026 work too); the scores are radios
    shown as big chips. Every rule (ranges, no future dates, known choices, lengths) is the service's."""

    # A new entry's form carries a random token (community.lounge.diary.new_form_token), so sending it twice saves once.
    form_token = HiddenField()
    day = StringField("Date", render_kw={"type": "date", "autocomplete": "off"})
    headache_upright = RadioField("Headache when upright", choices=SCORES, validate_choice=False,
                                  description=SCORE_HINT)
    headache_lying = RadioField("Headache when lying down", choices=SCORES, validate_choice=False,
                                description=SCORE_HINT)
    upright_minutes = RadioField("How long could you be upright before you had to lie down? (optional)",
                                 choices=[SelectChoice(str(minutes), words)
                                          for minutes, words in UPRIGHT_TIMES.items()],
                                 validate_choice=False)
    symptoms = SelectMultipleField("Symptoms (optional)", description="Tick any you had.",
                                   choices=[SelectChoice(key, label) for key, label in SYMPTOMS.items()],
                                   validate_choice=False,
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    other_symptoms = StringField("Other symptoms (optional)")
    treatment = RadioField("Treatment or procedure that day",
                           choices=[SelectChoice(key, label) for key, label in TREATMENTS.items()],
                           validate_choice=False, default="")
    treatment_details = StringField("Details of the treatment (optional)",
                                    description="For example “Second blood patch, at the local hospital”.")
    notes = TextAreaField("Notes (optional)", description="Anything you want to remember or tell your doctor.")

    def values(self) -> dict:
        """The plain values for community.lounge.diary.save_entry."""
        return {"day": self.day.data, "headache_upright": self.headache_upright.data,
                "headache_lying": self.headache_lying.data, "upright_minutes": self.upright_minutes.data,
                "symptoms": self.symptoms.data or [], "other_symptoms": self.other_symptoms.data,
                "treatment": self.treatment.data, "treatment_details": self.treatment_details.data,
                "notes": self.notes.data}


class DiaryPeriodForm(Form):
    """The appointment summary's period (a GET form: no CSRF token, the address can be bookmarked)."""

    class Meta:
        csrf = False

    start = StringField("From", name="from", render_kw={"type": "date"})
    end = StringField("To", name="to", render_kw={"type": "date"})
