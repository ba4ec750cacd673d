"""The public resource hub, the home page and the crisis signposting page, with admin editing."""

from flask import Blueprint

bp = Blueprint("pages", __name__, cli_group="pages")

from . import cli, routes  # noqa: E402,F401


@bp.record_once
def _register_with_privacy(state) -> None:
    """Each app, when it starts, tells the data export what the pages keep (last in the export, although the app
    registers the pages first)."""
    from community.privacy.registry import LAST, PersonalData, register

    from . import privacy

    register(PersonalData(
        "pages", "Community guidelines and pages",
        frozenset({"guidelines_acceptance.user_id", "page_revision.author_id"}),
        privacy.export_member_data,
        "When you agreed to the community guidelines (the forums ask before your first post), and any versions "
        "of the charity’s pages you saved as an admin.",
        place=LAST))
