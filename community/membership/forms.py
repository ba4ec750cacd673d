"""Forms for membership: the admins' grant, revoke, role, two-factor reset, gift code and Gift Aid claim
forms, and the member's join, Gift Aid and gift code forms."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from wtforms import BooleanField, DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from community.accounts.models import ROLES
from community.forms import Form


class GrantForm(Form):
    source = RadioField("Kind of membership", default="complimentary",
                        choices=[SelectChoice("complimentary", "Complimentary (for example a hardship waiver)"),
                                 SelectChoice("gift", "Gift")])
    expires_on = DateField("Ends on (optional)", validators=[Optional()],
                           description="Leave empty for no end date. Access stops at the end of this day, UK time.")
    # Several forms share the member's page, so each "Why" field has an id of its own.
    reason = StringField("Why", id="grant-reason", description="For example \"hardship waiver\". Only staff see this.",
                         validators=[DataRequired("Say why you are granting membership"), Length(max=200)])


class RevokeForm(Form):
    reason = StringField("Why", id="revoke-reason", description="Only staff see this.",
                         validators=[DataRequired("Say why you are revoking it"), Length(max=200)])


class RoleForm(Form):
    role = SelectField("Role", choices=[SelectChoice(role, role.capitalize()) for role in ROLES])
    reason = StringField("Why (optional)", id="role-reason", validators=[Optional(), Length(max=200)])


class TwoFactorResetForm(Form):
    reason = StringField("How you checked who they are", id="two-factor-reason",
                         description="For example \"phoned them on the number on their membership form\". Kept in the "
                                     "audit log.",
                         validators=[DataRequired("Say how you checked who they are"), Length(max=200)])


class GiftCodeForm(Form):
    note = StringField("Who is it for", id="gift-note",
                       description="For example \"Sam, raffle prize at the spring walk\". Only staff see this.",
                       validators=[DataRequired("Say who the code is for"), Length(max=200)])


class RedeemGiftForm(Form):
    code = StringField("Your gift code", id="gift-code",
                       description="It is 16 letters and numbers, like K7QM-3XPD-9HTW-RC4N. Capitals, spaces and "
                                   "dashes do not matter.",
                       validators=[DataRequired("Enter the code from your gift, like K7QM-3XPD-9HTW-RC4N"),
                                   Length(max=60, message="Enter the code from your gift, like K7QM-3XPD-9HTW-RC4N")],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})


def _uk_today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def _first_of_last_month() -> date:
    first_of_this_month = _uk_today().replace(day=1)
    return (first_of_this_month - timedelta(days=1)).replace(day=1)


class GiftAidClaimForm(Form):
    """A GET form (nothing changes but the audit log), so it carries no CSRF token."""

    class Meta:
        csrf = False

    start = DateField("First day", default=_first_of_last_month,
                      description="Payments made on this day (UK time) are included.",
                      validators=[InputRequired("Enter the first day of the claim, like 2026-04-06")],
                      invalid_value_message="Enter the first day as a real date, like 2026-04-06")
    end = DateField("Last day", default=_uk_today,
                    description="Payments made on this day (UK time) are included too.",
                    validators=[InputRequired("Enter the last day of the claim, like 2027-04-05")],
                    invalid_value_message="Enter the last day as a real date, like 2027-04-05")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.end.data < self.start.data:
            self.end.errors = [*self.end.errors, "The last day must be the same as or after the first day."]
            valid = False
        return valid


class GiftAidFields:
    """The details HMRC needs for Gift Aid, shared by the join form and the Gift Aid page."""

    title = StringField("Title (optional)", validators=[Optional(), Length(max=20)],
                        description="For example Ms, Mr, Mx or Dr.")
    first_name = StringField("First name", validators=[Optional(), Length(max=35)],
                             render_kw={"autocomplete": "given-name"})
    last_name = StringField("Last name", validators=[Optional(), Length(max=35)],
                            render_kw={"autocomplete": "family-name"})
    house = StringField("House name or number", validators=[Optional(), Length(max=40)])
    address = TextAreaField("Rest of your home address", validators=[Optional(), Length(max=500)],
                            render_kw={"autocomplete": "street-address"})
    postcode = StringField("Postcode", validators=[Optional(), Length(max=10)],
                           render_kw={"autocomplete": "postal-code"})


class JoinForm(GiftAidFields, Form):
    gift_aid = BooleanField("Yes, add Gift Aid to my membership payments")

    def validate(self, extra_validators=None) -> bool:
        """The Gift Aid details are needed only when Gift Aid is ticked."""
        valid = super().validate(extra_validators)
        if self.gift_aid.data:
            valid = require_gift_aid_details(self) and valid
        return valid


class GiftAidForm(GiftAidFields, Form):
    """Declaring Gift Aid later, from the membership page."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return require_gift_aid_details(self) and valid


def require_gift_aid_details(form) -> bool:
    """HMRC needs a name, a house name or number and a postcode for each Gift Aid declaration."""
    valid = True
    for field, words in ((form.first_name, "your first name"), (form.last_name, "your last name"),
                         (form.house, "your house name or number"), (form.postcode, "your postcode")):
        if not (field.data or "").strip():
            field.errors = [*field.errors, f"Enter {words}: HMRC needs it for Gift Aid."]
            valid = False
    return valid
