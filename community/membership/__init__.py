"""Membership: who has member access, why, until when, every change to it, and paying for it through Stripe."""

from flask import Blueprint

bp = Blueprint("membership", __name__, cli_group="billing")

from . import cli, routes  # noqa: E402,F401  (registers the views and `flask billing` commands on bp)


@bp.record_once
def _register_with_privacy(state) -> None:
    """Each app, when it starts, tells the data export what membership keeps about a person."""
    from community.privacy.registry import PersonalData, register

    from . import privacy

    register(PersonalData(
        "membership", "Membership, payments and Gift Aid",
        frozenset({"membership.user_id", "membership_change.user_id", "membership_change.actor_id",
                   "membership_payment.user_id", "gift_aid_declaration.user_id", "gift_code.created_by_id",
                   "gift_code.redeemed_by_id", "stripe_customer.user_id", "stripe_event.user_id"}),
        privacy.export_member_data,
        "Whether you are a member and every change to it, your payments and any Gift Aid declaration: we need "
        "them to give you membership, and the law asks us to keep payment and Gift Aid records for 6 years.",
        erase=privacy.erase_member_data, purge=privacy.purge))
