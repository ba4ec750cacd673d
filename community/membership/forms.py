"""Forms for membership: the admins' grant, revoke, role and two-factor reset forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from community.accounts.models import ROLES


class GrantForm(FlaskForm):
    source = RadioField("Kind of membership", default="complimentary",
                        choices=[SelectChoice("complimentary", "Complimentary (for example a hardship waiver)"),
                                 SelectChoice("gift", "Gift")])
    expires_on = DateField("Ends on (optional)", validators=[Optional()],
                           description="Leave empty for no end date. Access stops at the end of this day, UK time.")
    # Several forms share the member's page, so each "Why" field has an id of its own.
    reason = StringField("Why", id="grant-reason", description="For example \"hardship waiver\". Only staff see this.",
                         validators=[DataRequired("Say why you are granting membership"), Length(max=200)])


class RevokeForm(FlaskForm):
    reason = StringField("Why", id="revoke-reason", description="Only staff see this.",
                         validators=[DataRequired("Say why you are revoking it"), Length(max=200)])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(role, role.capitalize()) for role in ROLES])
    reason = StringField("Why (optional)", id="role-reason", validators=[Optional(), Length(max=200)])


class TwoFactorResetForm(FlaskForm):
    reason = StringField("How you checked who they are", id="two-factor-reason",
                         description="For example \"phoned them on the number on their membership form\". Kept in the "
                                     "audit log.",
                         validators=[DataRequired("Say how you checked who they are"), Length(max=200)])


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


class JoinForm(GiftAidFields, FlaskForm):
    gift_aid = BooleanField("Yes, add Gift Aid to my membership payments")

    def validate(self, extra_validators=None) -> bool:
        """The Gift Aid details are needed only when Gift Aid is ticked."""
        valid = super().validate(extra_validators)
        if self.gift_aid.data:
            valid = require_gift_aid_details(self) and valid
        return valid


class GiftAidForm(GiftAidFields, FlaskForm):
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
