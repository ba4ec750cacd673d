"""`flask billing ...`: set up the Stripe price, and the cron jobs that keep membership in step with Stripe."""

import click

from . import billing, bp

bp.cli.help = "Set up Stripe payments, reconcile memberships with Stripe, and send renewal reminders."


@bp.cli.command("setup")
def setup() -> None:
    """Create the membership product and its £8-a-year price in Stripe (safe to run again); print the price id."""
    try:
        price_id = billing.setup_price()
    except billing.BillingError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"The membership price is {price_id}. Set STRIPE_PRICE_ID={price_id} in the site's environment.")


@bp.cli.command("reconcile")
def reconcile() -> None:
    """Re-read every member's subscription from Stripe and correct any difference (nightly, and after an outage)."""
    try:
        report = billing.reconcile()
    except billing.BillingError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Checked {report.checked} Stripe customers: {report.changed} corrected, "
               f"{report.failed} could not be read (run again later).")
    if report.failed:
        raise SystemExit(1)


@bp.cli.command("remind")
def remind() -> None:
    """Email members whose year renews within 14 days, and those whose cancelled year has ended (once each)."""
    sent = billing.send_renewal_reminders()
    click.echo(f"Sent {sent} membership email(s).")
