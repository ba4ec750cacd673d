"""The members' lounge: members-only tools for getting care. `letters`/`letter_pages` are the advocacy letters
(with `letter_docx` for Word downloads), `checklist` the patient checklist, `diary`/`diary_pages` the symptom
diary (with `diary_chart` for its server-drawn chart); `routes` holds the lounge's front page and the checklist's
pages. Everything a member writes here is private to them."""

from flask import Blueprint

bp = Blueprint("lounge", __name__)

from . import diary_pages, letter_pages, models, routes  # noqa: E402,F401


@bp.record_once
def _register_with_privacy(state) -> None:
    """Each app, when it starts, tells the data export what the lounge keeps about a member."""
    from community.privacy.registry import PersonalData, register

    from . import privacy

    register(PersonalData(
        "members_lounge", "Members’ lounge: your letters, checklist and symptom diary",
        frozenset({"letter.owner_id", "checklist_mark.owner_id", "diary_entry.owner_id",
                   "letter_template_version.author_id"}),
        privacy.export_member_data,
        "What you wrote in the lounge's tools, kept so you can come back to it. Only you can see it.",
        erase=privacy.erase_member_data))
