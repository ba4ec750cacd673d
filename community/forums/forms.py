"""The forums' forms: a new thread, a reply, an edit, moving a thread, and the admins' category form."""

from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from community.forms import Form

from .services import CATEGORY_DESCRIPTION_MAX, CATEGORY_NAME_MAX, CONTENT_NOTE_MAX, POST_MAX, TITLE_MAX, normalise_text

MARKDOWN_HINT = ("You can use Markdown: **bold**, *italic*, a line starting with > for a quote, and - for a list. "
                 "Choose Preview to check how it looks.")
NOTE_HINT = ("If your post talks about something some people may find hard to read, name it here, like “mentions "
             "of self-harm” or “a loss”. Your post then stays folded until someone chooses to open it.")


def _longest(maximum: int, what: str):
    """A length check that says how long the text is now, so the writer knows how much to cut."""
    def check(form, field):
        length = len(field.data or "")
        if length > maximum:
            raise ValidationError(f"{what} is {length:,} characters long. It can be up to {maximum:,}: please "
                                  "shorten it a little" + (", or split it into two posts." if maximum == POST_MAX
                                                           else "."))
    return check


def _body_field(label: str, required_message: str):
    return TextAreaField(label, description=MARKDOWN_HINT, filters=[normalise_text],
                         validators=[DataRequired(required_message), _longest(POST_MAX, "Your post")])


def _title_field():
    return StringField("Title", description="A few words that say what your thread is about.",
                       filters=[lambda value: " ".join(value.split()) if value else value],
                       validators=[DataRequired("Enter a title for your thread, like “Tips for the first week after "
                                                "a blood patch”."), _longest(TITLE_MAX, "The title")])


def _note_field():
    return StringField("Content note (optional)", description=NOTE_HINT,
                       filters=[lambda value: " ".join(value.split()) if value else value],
                       validators=[Optional(), _longest(CONTENT_NOTE_MAX, "The content note")])


class ReplyForm(Form):
    body = _body_field("Your reply", "Write your reply before you send it.")
    content_note = _note_field()
    # The post being quoted, so its author can be told (checked again by the service).
    quoted_post_id = HiddenField()
    # Set once the writer has seen the "email address or phone number" warning and still wants to post.
    confirm_contact = HiddenField()
    # Sent twice, the same form makes one post (community.forms.new_form_token).
    form_token = HiddenField()


class ThreadForm(Form):
    title = _title_field()
    body = _body_field("Your post", "Write the first post of your thread.")
    content_note = _note_field()
    confirm_contact = HiddenField()
    form_token = HiddenField()


class EditPostForm(Form):
    title = _title_field()
    body = _body_field("Your post", "Write your post, or delete it instead.")
    content_note = _note_field()
    confirm_contact = HiddenField()


class MoveThreadForm(Form):
    category = SelectField("Move this thread to", coerce=int,
                           validators=[DataRequired("Choose the category to move this thread to.")])


class CategoryForm(Form):
    name = StringField("Name", validators=[DataRequired("Enter a name for the category, like “Living with a leak”."),
                                           Length(max=CATEGORY_NAME_MAX)])
    description = TextAreaField("Description (optional)", description="One or two sentences about what belongs "
                                "here. Members see it in the list of categories.",
                                validators=[Optional(), Length(max=CATEGORY_DESCRIPTION_MAX)])
    moderators_only = BooleanField("Only moderators can see this category",
                                   description="For the moderators’ own discussions. Members never see it.")
