"""The café's forms: the admins' schedule forms (weekly times, cancel a Wednesday, restore it, an extra session,
call an extra off), reminders on or off, and the hosts' summary. Each admin form has its own prefix, so the one
page that holds them all never uses an id twice. Dates and times are checked by community/cafe/schedule.py,
which says kindly what is wrong."""

from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional, ValidationError

from community.forms import Form

from .schedule import HOST_MAX, NOTE_MAX, SUMMARY_MAX

TIME_HINT = "In London time, like 19:00."
DATE_HINT = "Pick the date, or type it like 2027-03-31."


def _squash(value):
    return " ".join(value.split()) if value else value


def _longest(maximum: int, what: str):
    def check(form, field):
        length = len(field.data or "")
        if length > maximum:
            raise ValidationError(f"{what} is {length:,} characters long. It can be up to {maximum:,}: please "
                                  "shorten it.")
    return check


def _time(label: str, missing: str):
    return StringField(label, description=TIME_HINT, filters=[_squash], validators=[DataRequired(missing)],
                       render_kw={"type": "time", "autocomplete": "off"})


def _date(label: str, missing: str, hint: str = DATE_HINT):
    return StringField(label, description=hint, filters=[_squash], validators=[DataRequired(missing)],
                       render_kw={"type": "date", "autocomplete": "off"})


def _host(label: str = "Host (optional)", hint: str = "The host’s first name, as members will see it."):
    return StringField(label, description=hint, filters=[_squash],
                       validators=[Optional(), _longest(HOST_MAX, "The host’s name")])


def _note(label: str, hint: str):
    return StringField(label, description=hint, filters=[_squash],
                       validators=[Optional(), _longest(NOTE_MAX, "The note")])


class RuleForm(Form):
    start_time = _time("Starts at", "Enter the time the café starts, like 19:00.")
    end_time = _time("Ends at", "Enter the time the café ends, like 21:00.")
    host_name = _host("Usual host (optional)", "Members see this name beside each Wednesday.")


class CancelForm(Form):
    date = _date("Date", "Enter the Wednesday to call off, like 2027-03-31.",
                 "The Wednesday to call off. Pick it, or type it like 2027-03-31.")
    note = _note("Note for members (optional)", "Why, in a few words, like “Bank holiday week: back on the 9th”.")


class ExtraForm(Form):
    date = _date("Date", "Enter the date of the extra session, like 2027-03-31.")
    start_time = _time("Starts at", "Enter the time the session starts, like 14:00.")
    end_time = _time("Ends at", "Enter the time the session ends, like 15:30.")
    note = _note("What it is for (optional)", "Members see this beside the date, like “A daytime café for people "
                 "who cannot stay up late”.")
    host_name = _host()


class SessionChoiceForm(Form):
    """Restore a cancelled Wednesday, or call off an extra session: which one (the page writes one per date)."""

    session_id = HiddenField()  # checked by the service ("That café is not cancelled.")


class SummaryForm(Form):
    summary = TextAreaField("Summary", description=(
        "A few lines for members who could not come: what people talked about, tips shared, anything to follow up. "
        "Please leave out anything personal someone said. You can use Markdown: **bold**, *italic*, and - for a "
        "list. To remove the summary, empty the box and save."),
        validators=[_longest(SUMMARY_MAX, "The summary")])


class RoomMessageForm(Form):
    """The room's writing box. The token names this one message, so sending it twice (a double tap, a retry after
    a dropped connection) saves it once."""

    body = TextAreaField("Your message", description="Press Enter to send, or Shift and Enter for a new line.")
    token = HiddenField()
    reply_to = HiddenField()


class BreakForm(Form):
    """The one-tap "taking a break" note (a token, so a double tap says it once)."""

    token = HiddenField()
