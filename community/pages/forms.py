"""The pages' forms: the admins' page editor, new page and charity settings; the contact form."""

from wtforms import BooleanField, EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from community.forms import Form

from .services import CONTACT_MESSAGE_MAX, SLUG_MAX
from .site_settings import SETTINGS


def _title_field():
    return StringField("Title", validators=[DataRequired("Enter a title"),
                                            Length(max=120, message="Keep the title to 120 characters")])


def _summary_field():
    return TextAreaField("Summary", description="One to three short sentences at the top of the page, for "
                         "people who can only read a little.",
                         validators=[DataRequired("Enter a short summary")])


def _body_field():
    return TextAreaField("Page text", description="Written in Markdown: ## starts a section, - starts a bullet, "
                         "[words](/need-help) makes a link, and a table is rows like | Day | Time |. Choose Preview "
                         "to check how it looks.",
                         validators=[DataRequired("Enter the page text")])


class PageForm(Form):
    title = _title_field()
    summary = _summary_field()
    body = _body_field()
    note = StringField("What did you change? (optional)", description="Shown in the page's history.",
                       validators=[Optional(), Length(max=200)])
    based_on_revision = HiddenField()


class NewPageForm(Form):
    title = _title_field()
    slug = StringField("Web address (optional)",
                       description="The end of the page’s address, after /resources/. Leave it empty to make one "
                       "from the title. Use small letters, numbers and hyphens, like living-with-a-leak.",
                       validators=[Optional(), Length(max=SLUG_MAX, message=f"Keep it to {SLUG_MAX} characters")],
                       render_kw={"spellcheck": "false", "autocapitalize": "none"})
    summary = _summary_field()
    body = _body_field()
    publish = BooleanField("Publish it now",
                           description="Leave this unticked to check the page first. You can publish it from the "
                                       "list of pages.")


def _setting_field(key: str, field_class=StringField, **render_kw):
    rule = SETTINGS[key]
    label = rule.label if rule.required else f"{rule.label} (optional)"
    validators = [DataRequired(f"Enter the {rule.label.lower()}")] if rule.required else [Optional()]
    return field_class(label, description=rule.hint, render_kw=render_kw or None, validators=validators)


class CharitySettingsForm(Form):
    """The charity's details. Their rules (digits for the number, lengths) are the service's, so the command line
    `flask settings set` checks the same."""

    charity_name = _setting_field("charity_name", autocomplete="organization")
    charity_number = _setting_field("charity_number", inputmode="numeric", autocomplete="off")
    charity_address = _setting_field("charity_address", TextAreaField, autocomplete="street-address")
    charity_email = _setting_field("charity_email", EmailField, autocomplete="email", spellcheck="false")
    reason = StringField("Why the change? (optional)", description="Kept in the audit log with the change.",
                         validators=[Optional(), Length(max=200, message="Keep it to 200 characters")])


EMAIL_FORMAT = "Enter an email address in the right format, like name@example.com"


class ContactForm(Form):
    name = StringField("Your name (optional)", render_kw={"autocomplete": "name"},
                       validators=[Optional(), Length(max=100, message="Keep your name to 100 characters")])
    email = EmailField("Your email address", description="So we can reply to you.",
                       filters=[lambda value: value.strip() if value else value],
                       render_kw={"autocomplete": "email", "spellcheck": "false"},
                       validators=[DataRequired("Enter your email address, so we can reply, like name@example.com"),
                                   Email(EMAIL_FORMAT, check_deliverability=False),
                                   Length(max=254, message="That email address is too long")])
    message = TextAreaField("Your message", description=f"Up to {CONTACT_MESSAGE_MAX:,} characters. Please do not "
                            "include medical details we do not need to help you.",
                            validators=[DataRequired("Write your message"),
                                        Length(max=CONTACT_MESSAGE_MAX, message="Your message is longer than "
                                               f"{CONTACT_MESSAGE_MAX:,} characters: please shorten it a little")])
    # A trap for robots: hidden from people (and skipped by the keyboard), so anything typed here came from a robot.
    website = StringField("Leave this empty", render_kw={"tabindex": "-1", "autocomplete": "off"})
