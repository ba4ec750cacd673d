"""The erasure forms: the member's own and an admin's for a request made by email. Both pages open only in "sudo
mode" (the password, and a code with two-factor on, given in the last 10 minutes), so neither asks again."""

from wtforms import BooleanField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from community.forms import Form

WRITING_CHOICES = [
    SelectChoice("keep", "Keep them, signed “a former member”: the conversations they are part of still make sense"),
    SelectChoice("delete", "Delete them: replies others wrote stay, with “deleted by its author” where yours were"),
]
CONFIRM_WORDS = "I understand this cannot be undone"


class _Erase(Form):
    writing = RadioField("Your forum posts and café messages", choices=WRITING_CHOICES,
                         validators=[InputRequired("Choose whether to keep or delete your forum posts and café "
                                                   "messages")])
    understood = BooleanField(CONFIRM_WORDS, validators=[DataRequired(
        "Tick the box to say you understand that an erased account cannot be brought back")])


class EraseAccountForm(_Erase):
    pass


class AdminEraseForm(_Erase):
    writing = RadioField("Their forum posts and café messages", choices=[
        SelectChoice("keep", "Keep them, signed “a former member”"), SelectChoice("delete", "Delete them")],
        validators=[InputRequired("Choose what the member asked for their forum posts and café messages")])
    understood = BooleanField("I have checked this request came from the member, and it cannot be undone",
                              validators=[DataRequired("Tick the box to say you checked who asked")])
    reason = TextAreaField("The request", description="When and how they asked, and how you checked it was them. "
                           "It goes in the audit log.",
                           validators=[DataRequired("Say when and how the member asked"), Length(max=500)])
