"""The stories' forms: writing a story, choosing who reads it (and the consent to publish), and the buttons.

Length and choice rules live in services (StoryError, shown beside the field), so a refused save and an autosave
are judged alike; these forms only carry the words and give the labels and hints."""

from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField

from community.forms import Form

from .models import ATTRIBUTIONS, AUDIENCES, PROCEDURES

MARKDOWN_HINT = ("Write it as you would tell it. You can use Markdown: **bold**, *italic*, a line starting with - "
                 "for a list, and an empty line between paragraphs. Choose Preview to check how it looks.")


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class StoryForm(Form):
    # Set once a draft exists (the first autosave gives it), so Save changes that draft instead of making a copy.
    story_id = HiddenField()
    # A new story's form carries a random token (community.forms.new_form_token): sent twice, it saves one story.
    form_token = HiddenField()
    title = StringField("Title", description="A few words, like “Three years lying flat”. You can change it later.")
    body = TextAreaField("Your story", description=MARKDOWN_HINT)
    procedure = SelectField("What caused your leak (optional)", choices=choices(PROCEDURES.items()),
                            validate_choice=False)
    year = StringField("The year it started (optional)", description="Four digits, like 2019.")
    what_helped = TextAreaField("What helped you (optional)",
                                description="Treatments, people, small things that made a day easier.")


class ShareForm(Form):
    audience = RadioField("Who can read this story?", description="Members are people with a current membership. "
                          "Everyone means anyone on the internet, including search engines.",
                          choices=choices(AUDIENCES.items()), validate_choice=False)
    attribution = RadioField("How should your story name you?", choices=choices(ATTRIBUTIONS.items()),
                             validate_choice=False)
    # The consent version the member agreed to: sent only when the box is ticked (its value is the version).
    # Named "consent" for the service's refusal (StoryError field "consent"); the box is ticked → the form sends it.
    consent = HiddenField(name="consent_version")
