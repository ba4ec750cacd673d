"""Account forms: every message says what went wrong and how to put it right."""

from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from community.forms import Form, SelectWithCachedOptions, as_typed

from .models import BIO_MAX, DISPLAY_NAME_MAX, TEXT_SIZES
from .passwords import password_problem

EMAIL_REQUIRED = "Enter your email address"
EMAIL_FORMAT = "Enter an email address in the right format, like name@example.com"

# A short list keeps the page light; any IANA zone is accepted by the service if set another way.
TIME_ZONES = [
    "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
    "Europe/Rome", "Europe/Amsterdam", "Europe/Brussels", "Europe/Stockholm", "Europe/Warsaw",
    "Europe/Athens", "Europe/Helsinki", "Atlantic/Canary", "America/St_Johns", "America/Halifax",
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Sao_Paulo", "Africa/Johannesburg", "Asia/Dubai",
    "Asia/Kolkata", "Asia/Singapore", "Asia/Hong_Kong", "Asia/Tokyo", "Australia/Perth",
    "Australia/Adelaide", "Australia/Brisbane", "Australia/Sydney", "Pacific/Auckland", "UTC",
]
TEXT_SIZE_LABELS = {"standard": "Standard", "large": "Large", "largest": "Largest"}


def email_field(label: str = "Email address", hint: str = "", new_address: bool = False) -> EmailField:
    """A new address is checked strictly; one typed to log in only needs to look like an address, since the
    account either exists or not (and reserved domains such as the demo accounts' .test must still work)."""
    shape = (Email(EMAIL_FORMAT, check_deliverability=False) if new_address
             else Regexp(r"^[^@\s]+@[^@\s]+$", message=EMAIL_FORMAT))
    return EmailField(label, description=hint, filters=[lambda value: value.strip() if value else value],
                      validators=[DataRequired(EMAIL_REQUIRED), shape, Length(max=254)],
                      render_kw={"autocomplete": "email", "spellcheck": "false"})


def display_name_field() -> StringField:
    return StringField(
        "Display name",
        description="This is the name other members see. A first name or a pseudonym is welcome.",
        filters=[as_typed],  # the account rules refuse a hidden character, NUL too, and say how to fix it
        validators=[DataRequired("Enter a display name"),
                    Length(max=DISPLAY_NAME_MAX,
                           message=f"Your display name can have at most {DISPLAY_NAME_MAX} characters")],
        render_kw={"autocomplete": "nickname", "spellcheck": "false"})


def meets_password_rules(form, field) -> None:
    """Shown with the form's other errors; the service checks the same rule for every other way in."""
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def new_password_field(label: str = "Password") -> PasswordField:
    return PasswordField(label, description="At least 8 characters. Three or four random words are easy to "
                         "remember and hard to guess.",
                         validators=[DataRequired("Enter a password"), meets_password_rules],
                         render_kw={"autocomplete": "new-password"})


def code_field(label: str = "Code from your authenticator app", hint: str = "", required: bool = True,
               numbers_only: bool = False) -> StringField:
    """A box for a 6-digit app code or, unless `numbers_only`, a recovery code (letters too)."""
    message = ("Enter the 6-digit code your authenticator app shows" if numbers_only
               else "Enter the code from your authenticator app, or a recovery code")
    presence = DataRequired(message) if required else Optional()
    render_kw = {"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "none"}
    if numbers_only:
        render_kw["inputmode"] = "numeric"
    return StringField(label, description=hint, validators=[presence, Length(max=40)],
                       filters=[lambda value: value.strip() if value else value], render_kw=render_kw)


class SignupForm(Form):
    email = email_field(hint="We will send you a link to confirm it. We never share it.", new_address=True)
    display_name = display_name_field()
    password = new_password_field()


class LoginForm(Form):
    email = email_field()
    password = PasswordField("Password", validators=[DataRequired("Enter your password")],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me logged in on this device for 30 days")


class ResetRequestForm(Form):
    email = email_field(hint="Use the address you signed up with.")


class ResetPasswordForm(Form):
    password = new_password_field("New password")
    # Asked for (and shown) only when the account has two-factor on: a reset proves the mailbox, not the phone.
    code = code_field(hint="The 6 digits your app shows now, or one of your recovery codes.", required=False)


class ProfileForm(Form):
    display_name = display_name_field()
    bio = TextAreaField("About you (optional)",
                        description="A line or two other members can read, if you like.",
                        validators=[Optional(),
                                    Length(max=BIO_MAX, message=f"Keep this to {BIO_MAX} characters or fewer")])
    time_zone = SelectField("Time zone", choices=[SelectChoice(zone, zone.replace("_", " ")) for zone in TIME_ZONES],
                            description="Times, like the Leaky Café, are shown in this zone.",
                            widget=SelectWithCachedOptions())
    text_size = RadioField("Text size", choices=[SelectChoice(size, TEXT_SIZE_LABELS[size]) for size in TEXT_SIZES],
                           description="Makes the text on every page bigger, on top of your browser's zoom.")


class ChangeEmailForm(Form):
    email = email_field("New email address", "We will send a link to this address to confirm it.", new_address=True)


class ChangePasswordForm(Form):
    new_password = new_password_field("New password")


class LoginCodeForm(Form):
    code = code_field(hint="The 6 digits your app shows now. Lost your phone? Enter one of your recovery codes "
                           "instead.")


class ConfirmIdentityForm(Form):
    password = PasswordField("Your password", validators=[DataRequired("Enter your password")],
                             render_kw={"autocomplete": "current-password"})
    code = code_field(hint="The 6 digits your app shows now, or one of your recovery codes.", required=False)


class TwoFactorSetupForm(Form):
    code = code_field(numbers_only=True)
