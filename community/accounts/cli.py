"""`flask users ...`: commands for admins to create the first admin and change roles."""

import click

from . import bp, services, sessions, two_factor
from .models import ROLES

bp.cli.help = "Manage accounts, roles, sessions and two-factor sign-in."


def _fail(message: str):
    raise click.ClickException(message)


@bp.cli.command("create-admin")
@click.argument("email")
@click.option("--name", "display_name", default="Admin", show_default=True, help="The display name to show.")
@click.password_option(help="Asked for when not given (hidden, twice).")
def create_admin(email: str, display_name: str, password: str) -> None:
    """Make EMAIL an admin: creates a verified account, or promotes an existing one."""
    user = services.find_user_by_email(email)
    try:
        if user is None:
            user = services.create_verified_user(email, display_name, password, role="admin")
            click.echo(f"Created admin account {user.email}. They can log in now.")
        else:
            services.set_role(None, user, "admin", reason="flask users create-admin")
            click.echo(f"{user.email} already had an account; it is now an admin.")
    except services.AccountError as error:
        _fail(error.message)


@bp.cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def set_role(email: str, role: str) -> None:
    """Give the account with EMAIL the ROLE registered, moderator or admin."""
    user = services.find_user_by_email(email)
    if user is None:
        _fail(f"There is no account with the email address {email}.")
    try:
        services.set_role(None, user, role, reason="flask users set-role")
    except services.AccountError as error:
        _fail(error.message)
    click.echo(f"{user.email} is now {role}. They were logged out everywhere, so the new role applies at once.")


@bp.cli.command("reset-two-factor")
@click.argument("email")
@click.option("--reason", required=True, help="How you checked who they are (kept in the audit log).")
def reset_two_factor(email: str, reason: str) -> None:
    """Turn off two-factor sign-in for EMAIL who lost their phone and recovery codes, after checking who they are.

    For the last admin locked out of the web screens; otherwise an admin does it from the member's page.
    """
    user = services.find_user_by_email(email)
    if user is None:
        _fail(f"There is no account with the email address {email}.")
    try:
        two_factor.reset_by_admin(None, user, reason)
    except two_factor.TwoFactorError as error:
        _fail(error.message)
    click.echo(f"Two-factor sign-in is off for {user.email}, and they were logged out everywhere. "
               "Staff are asked to set it up again at their next log-in.")


@bp.cli.command("purge-sessions")
def purge_sessions() -> None:
    """Delete log-in sessions past their idle time or lifetime (run daily from cron)."""
    click.echo(f"Removed {sessions.purge_expired_sessions()} expired sessions.")
