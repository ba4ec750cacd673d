"""Form pieces every feature shares."""

from flask_wtf import FlaskForm


class ButtonForm(FlaskForm):
    """A form that is only a button (log out, resend a link, restore a version): it carries the CSRF token."""
