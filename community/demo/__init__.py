"""`flask demo seed`: demo accounts and content so a newcomer sees a living site. Only with DEMO_MODE=1."""

from datetime import timedelta

import click
from flask import Blueprint, current_app

from community.accounts import services as accounts
from community.extensions import utcnow
from community.membership import services as membership
from community.pages import services as pages

from . import cafe_content, forum_content, lounge_content, moderation_content

bp = Blueprint("demo", __name__, cli_group="demo")
bp.cli.help = "Demo data for trying the site (DEMO_MODE=1 only)."

DEMO_PASSWORD = "leaky-cafe-demo"  # public on purpose (the README gives it); seeded only with DEMO_MODE=1  # nosec B105
DEMO_ACCOUNTS = [
    # email, display name, role
    ("admin@demo.test", "Alex", "admin"),
    ("moderator@demo.test", "Morgan", "moderator"),
    ("member@demo.test", "Sam", "registered"),
    ("newcomer@demo.test", "Jo", "registered"),
]


@bp.cli.command("seed")
def seed() -> None:
    """Create the demo accounts (password leaky-cafe-demo) and content. Safe to run twice."""
    if not current_app.config["DEMO_MODE"]:
        raise click.ClickException("Demo data is only created when DEMO_MODE=1, so it never reaches a real site.")
    pages.seed_pages()
    for email, name, role in DEMO_ACCOUNTS:
        user = accounts.find_user_by_email(email)
        if user is None:
            user = accounts.create_verified_user(email, name, DEMO_PASSWORD, role)
        if email == "member@demo.test" and user.membership is None:
            membership.apply_subscription_state(user, "active", utcnow() + timedelta(days=200),
                                                "Demo data: a paying member")
    forum_content.seed_forums()
    moderation_content.seed_moderation()
    cafe_content.seed_cafe()
    lounge_content.seed_lounge()
    click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
    for email, _name, role in DEMO_ACCOUNTS:
        kind = "paying member" if email.startswith("member") else role
        click.echo(f"  {email:<22} {kind}")
