"""Moderation's forms: flagging, a moderator's decision and an appeal's, actions and notes about a member, a
member's appeal, the audit log's filters, watched words and moderation settings."""

from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from community.forms import Form

from .models import FLAG_REASONS, WATCHED_WORD_ACTIONS
from .services import APPEAL_MAX, MAX_DAYS, NOTE_MAX, PHRASE_MAX, REASON_MAX, SETTINGS


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _text(value):
    return value.replace("\x00", "").strip() if value else value


class FlagForm(Form):
    reason = RadioField("Why are you flagging this?", choices=_choices(FLAG_REASONS.items()),
                        validators=[DataRequired("Choose why you are flagging this.")])
    note = TextAreaField("Anything a moderator should know (optional)",
                         description="Needed if you chose “Something else”. Only moderators read it.",
                         filters=[_text], validators=[Optional(), Length(max=NOTE_MAX)])


DECISION_LABELS = {
    "keep": "Keep it: nothing is wrong (the flags are dismissed)",
    "approve": "Approve it: publish it now",
    "request_changes": "Ask the author for a change (they see your note, and can edit it and send it again)",
    "decline": "Do not publish it (the author sees your reason)",
    "hide": "Hide it (the author sees your reason)",
    "restore": "Restore it: show it again",
    "delete": "Delete it (the author sees your reason)",
    "edit": "Edit it (the author is told)",
}
MEMBER_ACTION_LABELS = {
    "": "Nothing",
    "warn": "Send a private warning",
    "silence": "Silence them for a number of days (they can read but not write)",
    "suspend": "Suspend them for a number of days (they can only see their own account)",
    "ban": "Ban them (no end date)",
}


def _reason_field(label="Reason", hint="The member sees this, so keep it kind and clear."):
    return TextAreaField(label, description=hint, filters=[_text], validators=[Optional(), Length(max=REASON_MAX)])


def _days_field():
    return IntegerField("For how many days", description=f"For silencing or suspending: 1 to {MAX_DAYS}.",
                        validators=[Optional(), NumberRange(1, MAX_DAYS, f"Enter a number of days from 1 to "
                                                                         f"{MAX_DAYS}.")])


class DecisionForm(Form):
    """What a moderator decides about one queue item. `version` is the item's version when the page was shown."""

    version = HiddenField(validators=[DataRequired()])
    decision = RadioField("What should happen to it?", choices=_choices(DECISION_LABELS.items()),
                          validators=[DataRequired("Choose what should happen to it.")])
    text = TextAreaField("The words after your edit", description="Only used if you chose “Edit it”.",
                         validators=[Optional()])
    reason = _reason_field(hint="Needed for anything but keeping, approving, restoring or editing (to ask for a "
                                "change, say what to change). The author "
                                "sees it, so keep it kind and clear.")
    member_action = RadioField("And about the author", choices=_choices(MEMBER_ACTION_LABELS.items()), default="",
                               validators=[Optional()])
    days = _days_field()

    def offer(self, decisions: list[str], about_member: bool) -> None:
        self.decision.choices = _choices((value, DECISION_LABELS[value]) for value in decisions)
        if about_member:
            self.decision.choices = _choices([("keep", "Close this item")])
            self.member_action.label.text = "And about the member"


class AppealDecisionForm(Form):
    version = HiddenField(validators=[DataRequired()])
    outcome = RadioField("Your decision on the appeal", choices=_choices([
        ("uphold", "Uphold: the decision stands"),
        ("overturn", "Overturn: undo the decision (content restored, restriction lifted)")]),
        validators=[DataRequired("Choose to uphold or overturn the decision.")])
    reason = _reason_field("Why", "The member sees this.")


class MemberActionForm(Form):
    action = RadioField("What to do", choices=_choices(pair for pair in MEMBER_ACTION_LABELS.items() if pair[0]),
                        validators=[DataRequired("Choose what to do.")])
    days = _days_field()
    reason = _reason_field()


class LiftForm(Form):
    reason = _reason_field("Why are you lifting it?", "The member sees this.")


class NoteForm(Form):
    text = TextAreaField("Add a note", description="Only moderators see notes. They appear beside this member’s "
                         "queue items.", filters=[_text], validators=[Optional(), Length(max=NOTE_MAX)])


class AppealForm(Form):
    text = TextAreaField("Why should this be looked at again?",
                         description="A few words are enough. A different moderator will read it.",
                         filters=[_text], validators=[Optional(), Length(max=APPEAL_MAX)])


class WatchedWordForm(Form):
    phrase = StringField("Word or phrase", description="Matched as whole words, in any capitals.",
                         filters=[_text], validators=[Optional(), Length(max=PHRASE_MAX)])
    action = RadioField("What happens when someone uses it", choices=_choices(WATCHED_WORD_ACTIONS.items()),
                        validators=[DataRequired("Choose what happens when someone uses it.")])


def _setting_field(key: str):
    label, _default, low, high = SETTINGS[key]
    message = f"Enter a whole number from {low} to {high}."
    return IntegerField(label, description=f"A whole number from {low} to {high}.",
                        validators=[InputRequired(message), NumberRange(low, high, message)])


class SettingsForm(Form):
    held_first_posts = _setting_field("held_first_posts")
    flags_to_hide = _setting_field("flags_to_hide")


class AuditFilterForm(Form):
    """The audit log's filters: a GET form (no token: it changes nothing), so a filtered page can be bookmarked."""

    class Meta:
        csrf = False

    actor = SelectField("Who did it", coerce=str, validators=[Optional()])
    action = SelectField("What they did", coerce=str, validators=[Optional()])
    member = StringField("About which member (their email address)", validators=[Optional()])
    target_type = SelectField("Kind of thing", coerce=str, validators=[Optional()])
    since = DateField("From (day)", validators=[Optional()])
    until = DateField("To (day)", validators=[Optional()])
