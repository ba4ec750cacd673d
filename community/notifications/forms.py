"""Notification forms: how often a member wants email about what happens in the forums."""

from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired

from community.forms import Form

# The words people choose between; the keys are models.EMAIL_MODES.
EMAIL_MODE_CHOICES = [
    SelectChoice("off", "No emails"),
    SelectChoice("instant", "At once: an email each time"),
    SelectChoice("daily", "A daily digest: one email a day with everything new"),
]


class EmailPreferenceForm(Form):
    email_mode = RadioField(
        "How should we email you about mentions, quotes and replies?",
        choices=EMAIL_MODE_CHOICES,
        validators=[InputRequired("Choose how often we should email you")],
        description="You will always see them here, on your notifications page. Every email has a link to stop "
                    "them.")
