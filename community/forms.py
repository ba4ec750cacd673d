"""Form pieces every feature shares: the base form (our own words for every message), the button form, the
one-time token that makes a "new ..." form safe to send twice; and choice fields whose options are drawn once."""

import re
import secrets
from functools import lru_cache

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import PasswordField, SelectChoice
from wtforms.fields.choices import Choice
from wtforms.widgets import Select, html_params

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


# Choice fields rendered the WTForms way cost a lot for what they are (a subfield per radio button, markup escaped
# attribute by attribute): a third of /account's time. What they render depends only on the field's name, choices,
# value and flags, so their HTML is made once per combination, kept, and reused (only for a value among the
# choices: one a request made up is drawn each time, so nobody can fill the memory with them).
_KEPT = 512


class SelectWithCachedOptions(Select):
    """A select (the 36 time zones on /account) whose options' HTML is made once per choices and selected value."""

    def __call__(self, field, **kwargs):
        key = _plain_choices(field.choices), field.coerce, field.data
        if self.multiple or not _worth_keeping(*key):
            return super().__call__(field, **kwargs)  # the rarer shapes: rendered as WTForms always does
        # The <select> itself, as Select builds it.
        kwargs.setdefault("id", field.id)
        for flag in dir(field.flags):
            if flag in self.validation_attrs and flag not in kwargs:
                kwargs[flag] = getattr(field.flags, flag)
        select = f"<select {html_params(name=field.name, **kwargs)}>{_options_html(*key)}</select>"
        return Markup(select)  # noqa: S704 - both parts escaped by WTForms, as in Select's own  # nosec B704


@lru_cache(maxsize=_KEPT)
def _options_html(choices: tuple, coerce, selected) -> Markup:
    return Markup("").join(Select.render_option(Choice(value, label, coerce(value) == selected, {}))
                           for value, label in choices)


_radio_groups: dict[tuple, list[tuple[Markup, Markup]]] = {}


def radio_buttons(field) -> list[tuple[Markup, Markup]]:
    """Each radio button of a RadioField with its label, exactly as WTForms renders them (templates' `field` macro)."""
    key = (_plain_choices(field.choices), field.coerce, field.data, field.id, field.name, field.option_widget,
           tuple(sorted(vars(field.flags).items())), tuple(sorted((field.render_kw or {}).items())))
    if not _worth_keeping(*key[:3]) or not _hashable(key):
        return [(option(), option.label()) for option in field]
    buttons = _radio_groups.get(key)
    if buttons is None:
        if len(_radio_groups) >= _KEPT:
            _radio_groups.clear()
        buttons = _radio_groups[key] = [(option(), option.label()) for option in field]
    return buttons


def _plain_choices(choices) -> tuple | None:
    """A choice field's choices as (value, label) pairs, or None when they carry more (attributes, groups)."""
    if not isinstance(choices, list):
        return None
    pairs = []
    for choice in choices:
        if isinstance(choice, SelectChoice) and not choice.render_kw and choice.optgroup is None:
            pairs.append((choice.value, choice.label))
        elif isinstance(choice, tuple) and len(choice) == 2:
            pairs.append(choice)
        else:
            return None
    return tuple(pairs)


def _worth_keeping(choices: tuple | None, coerce, value) -> bool:
    """Plain choices, and nothing chosen or one of them: a value a request made up is drawn, not kept."""
    return choices is not None and (value is None or (_hashable(value)
                                                      and any(coerce(offered) == value for offered, _ in choices)))


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class ButtonForm(Form):
    """A form that is only a button (log out, resend a link, restore a version): it carries the CSRF token."""
