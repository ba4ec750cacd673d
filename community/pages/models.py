"""Resource hub and trust pages with every saved version of them, the charity's settings, and who agreed to
the community guidelines."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.accounts.models import User
from community.extensions import UTCDateTime, db, index_reference, utcnow

# A hub page lives at /resources/<slug> and is listed in the hub; a trust page (about, privacy, ...) has its own
# address, is never listed in the hub, and can be edited but never unpublished.
HUB = "hub"
TRUST = "trust"
PAGE_KINDS = (HUB, TRUST)


class Page(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    current_revision_id: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(20), default=HUB, server_default=HUB)
    # Unpublished pages answer 404 to everyone but admins, and are left out of the hub list and the sitemap.
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The body as sanitised HTML and its contents list ([[anchor, heading], ...]), made when the page is saved
    # (services.render_body), so reading a page never parses Markdown.
    body_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    contents: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")

    @property
    def is_trust_page(self) -> bool:
        return self.kind == TRUST


class PageRevision(db.Model):
    """A saved version: what the page said, who saved it (None: loaded from the content files) and why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()


index_reference(PageRevision.author_id)


class SiteSetting(db.Model):
    """One of the charity's settings (name, registered number, address, email), changed by admins."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class GuidelinesAcceptance(db.Model):
    """Someone agreed to a version of the community guidelines (the forums ask before a first post)."""

    __table_args__ = (UniqueConstraint("user_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(20))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
