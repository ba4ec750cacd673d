"""Form pieces every feature shares: the base form (our own words for every message), the button form, and the
one-time token that makes a "new ..." form safe to send twice."""

import re
import secrets

from flask_wtf import FlaskForm
from wtforms import PasswordField

# A new-record form carries a random token; the record keeps it (unique per member), so the same form sent twice
# (a double tap, a retried request) finds the record the first sending made instead of making a copy.
_FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,40}")


def new_form_token() -> str:
    return secrets.token_urlsafe(18)


def form_token_or_none(value) -> str | None:
    """The token a form sent, if it is one we could have made; anything else counts as none."""
    return value if isinstance(value, str) and _FORM_TOKEN.fullmatch(value) else None

# WTForms' built-in messages, in the plain words the rest of the site uses (the GOV.UK style: say what to do).
# Field-specific messages ("Enter your postcode") are given by each form; these are the fallbacks.
PLAIN_WORDS = {
    "This field is required.": "Fill this in.",
    "Not a valid choice.": "Choose one of the options.",
    "'%(value)s' is not a valid choice for this field.": "Choose one of the options.",
    "Invalid Choice: could not coerce.": "Choose one of the options.",
    "Invalid choice(s): one or more data inputs could not be coerced.": "Choose from the options.",
    "Not a valid date value.": "Enter a real date, for example 27 3 2026.",
    "Not a valid datetime value.": "Enter a real date and time.",
    "Not a valid time value.": "Enter a real time, for example 19:30.",
    "Not a valid integer value.": "Enter a whole number, for example 3.",
    "Not a valid decimal value.": "Enter a number, for example 2.5.",
    "Not a valid float value.": "Enter a number, for example 2.5.",
    "Invalid email address.": "Enter an email address like name@example.com.",
    "Invalid URL.": "Enter a web address, starting with https://",
    "Invalid input.": "Check what you typed here.",
    "Field cannot be longer than %(max)d character.": "Make this %(max)d character or shorter.",
    "Field cannot be longer than %(max)d characters.": "Make this %(max)d characters or shorter.",
    "Field must be at least %(min)d character long.": "Make this at least %(min)d character long.",
    "Field must be at least %(min)d characters long.": "Make this at least %(min)d characters long.",
    "Field must be between %(min)d and %(max)d characters long.":
        "Make this between %(min)d and %(max)d characters long.",
    "Number must be at least %(min)s.": "Enter %(min)s or more.",
    "Number must be at most %(max)s.": "Enter %(max)s or less.",
    "Number must be between %(min)s and %(max)s.": "Enter a number from %(min)s to %(max)s.",
    "Date must be at least %(min)s.": "Enter %(min)s or later.",
    "Date must be at most %(max)s.": "Enter %(max)s or earlier.",
    "Date must be between %(min)s and %(max)s.": "Enter a date from %(min)s to %(max)s.",
    "Field must be equal to %(other_name)s.": "The two entries must be the same.",
}


class _PlainWords:
    """The gettext-style object WTForms asks for messages."""

    def gettext(self, message: str) -> str:
        return PLAIN_WORDS.get(message, message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.gettext(singular if count == 1 else plural)


def _without_nul(value):
    """No person means to type a NUL character, and PostgreSQL cannot store one in text: it is dropped."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def as_typed(value):
    """A field's filter saying: leave NUL in, this field's own rules refuse hidden characters in their words."""
    return value


class Form(FlaskForm):
    """Every form of ours: WTForms' own messages come out in our words, and no field's text holds a NUL."""

    class Meta:
        def get_translations(self, form):
            return _PlainWords()

        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", ())
            # A password is only ever hashed, never stored: it is checked exactly as typed.
            if issubclass(unbound_field.field_class, PasswordField) or as_typed in filters:
                return unbound_field.bind(form=form, **options)
            return unbound_field.bind(form=form, filters=[_without_nul, *filters], **options)


class ButtonForm(Form):
    """A form that is only a button (log out, resend a link, restore a version): it carries the CSRF token."""
