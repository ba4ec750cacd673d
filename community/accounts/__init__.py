"""Accounts: sign-up, email verification, log in and out, password reset, profile, settings and roles."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, cli_group="users")

from . import cli, routes  # noqa: E402,F401  (registers the views and commands on bp)


@bp.record_once
def _register_with_privacy(state) -> None:
    """Each app, when it starts, tells the data export what the account keeps (first in the export, although
    the app registers the pages before the accounts)."""
    from community.privacy.registry import FIRST, PersonalData, register

    from . import privacy

    register(PersonalData(
        "account", "Your account",
        frozenset({"user_session.user_id", "recovery_code.user_id"}),
        privacy.export_account,
        "Your email address, name and settings, and where you are logged in: what lets you log in and shows the "
        "site the way you chose. We never include your password or sign-in codes: we cannot read them either.",
        place=FIRST, purge=privacy.purge))
