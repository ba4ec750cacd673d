"""The page editor form used by admins."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class PageForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter a title"),
                                             Length(max=120, message="Keep the title to 120 characters")])
    summary = TextAreaField("Summary", description="One to three short sentences at the top of the page, for "
                            "people who can only read a little.",
                            validators=[DataRequired("Enter a short summary")])
    body = TextAreaField("Page text", description="Written in Markdown: ## starts a section, - starts a bullet, "
                         "[words](/need-help) makes a link. Choose Preview to check how it looks.",
                         validators=[DataRequired("Enter the page text")])
    note = StringField("What did you change? (optional)", description="Shown in the page's history.",
                       validators=[Optional(), Length(max=200)])
    based_on_revision = HiddenField()
