"""`flask users ...`: commands for admins to create the first admin and change roles."""

import click

from . import bp, services
from .models import ROLES

bp.cli.help = "Manage accounts and roles."


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
    services.set_role(None, user, role, reason="flask users set-role")
    click.echo(f"{user.email} is now {role}.")
