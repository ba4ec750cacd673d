"""Forms for membership: the admins' grant and revoke forms, and the demo payment button."""

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
    reason = StringField("Why", description="For example \"hardship waiver\". Only staff see this.",
                         validators=[DataRequired("Say why you are granting membership"), Length(max=200)])


class RevokeForm(FlaskForm):
    reason = StringField("Why", description="Only staff see this.",
                         validators=[DataRequired("Say why you are revoking it"), Length(max=200)])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(role, role.capitalize()) for role in ROLES])
    reason = StringField("Why (optional)", validators=[Optional(), Length(max=200)])
