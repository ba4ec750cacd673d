"""What the pages hold about a person, for their data export: when they agreed to the community guidelines, and,
for admins, the versions of the charity's pages they saved (the page, their title and note, when: the words are
the charity's, on the site for everyone)."""

from sqlalchemy import select

from community.accounts.models import User
from community.dates import iso_or_none
from community.extensions import db

from .models import GuidelinesAcceptance, Page, PageRevision


def export_member_data(user: User) -> dict:
    agreed = db.session.execute(
        select(GuidelinesAcceptance.version, GuidelinesAcceptance.accepted_at)
        .where(GuidelinesAcceptance.user_id == user.id).order_by(GuidelinesAcceptance.accepted_at)).all()
    saved = db.session.execute(
        select(Page.title, PageRevision.title, PageRevision.note, PageRevision.created_at)
        .join(Page, PageRevision.page_id == Page.id).where(PageRevision.author_id == user.id)
        .order_by(PageRevision.created_at, PageRevision.id)).all()
    data = {"community_guidelines_you_agreed_to": [{"version": version, "agreed_at": iso_or_none(accepted_at)}
                                                   for version, accepted_at in agreed]}
    if saved:
        data["page_versions_you_saved"] = [{"page": page, "title_you_saved": title, "your_note": note or None,
                                            "saved_at": iso_or_none(created_at)}
                                           for page, title, note, created_at in saved]
    return data
