"""Forms for membership: the admins' grant, revoke, role and two-factor reset forms."""

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField
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
