"""Resource hub rules: loading the charity's pages from Markdown files, editing, history and restoring."""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload

from community.accounts.models import User
from community.dates import DEFAULT_ZONE, day_and_time
from community.extensions import db, utcnow
from community.refusals import Refusal

from .models import Page, PageRevision

CONTENT_DIR = Path(__file__).with_name("content")


class PageError(Refusal):
    """A page edit we refuse."""


@dataclass(frozen=True)
class PageSource:
    slug: str
    title: str
    summary: str
    position: int
    body: str


def read_content_file(path: Path) -> PageSource:
    """Parse a content file: a `---` block of `key: value` lines (title, summary, order), then Markdown."""
    text = path.read_text(encoding="utf-8")
    _, header, body = text.split("---\n", 2)
    fields = dict(line.split(":", 1) for line in header.strip().splitlines())
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    return PageSource(path.stem, fields["title"], fields["summary"], int(fields.get("order", 0)), body.strip() + "\n")


def content_sources(directory: Path = CONTENT_DIR) -> list[PageSource]:
    return sorted((read_content_file(path) for path in directory.glob("*.md")), key=lambda s: s.position)


def seed_pages(directory: Path = CONTENT_DIR) -> list[str]:
    """Create every page that has a content file but no row yet. Pages admins have edited are left alone."""
    existing = set(db.session.scalars(select(Page.slug)))
    created = []
    for source in content_sources(directory):
        if source.slug in existing:
            continue
        page = Page(slug=source.slug, title=source.title, summary=source.summary, body=source.body,
                    position=source.position)
        db.session.add(page)
        db.session.flush()
        _add_revision(page, None, "Loaded from the charity's content files")
        created.append(source.slug)
    db.session.commit()
    return created


def _add_revision(page: Page, author: User | None, note: str) -> PageRevision:
    revision = PageRevision(page_id=page.id, title=page.title, summary=page.summary, body=page.body,
                            note=note, author_id=author.id if author else None)
    db.session.add(revision)
    db.session.flush()
    page.current_revision_id = revision.id
    page.updated_at = utcnow()
    return revision


def list_pages() -> list[Page]:
    """Pages for lists and cards: everything but their (long) text."""
    return list(db.session.scalars(select(Page).options(defer(Page.body)).order_by(Page.position, Page.title)))


def find_page(slug: str) -> Page | None:
    return db.session.scalar(select(Page).where(Page.slug == slug))


def save_page(author: User, page: Page, title: str, summary: str, body: str, note: str,
              based_on_revision: int | None) -> PageRevision:
    """Save an edit as a new version. Refused if someone saved in between, so neither edit is lost unseen."""
    if based_on_revision is not None and based_on_revision != page.current_revision_id:
        raise PageError("Someone else saved this page after you opened it. Your text is still below: copy "
                        "what you need, then open the page again to see their changes.")
    if not title.strip() or not summary.strip() or not body.strip():
        raise PageError("A page needs a title, a summary and some text.")
    page.title, page.summary, page.body = title.strip(), summary.strip(), body.strip() + "\n"
    revision = _add_revision(page, author, note.strip())
    db.session.commit()
    return revision


def page_history(page: Page) -> list[PageRevision]:
    return list(db.session.scalars(
        select(PageRevision).options(joinedload(PageRevision.author)).where(PageRevision.page_id == page.id)
        .order_by(PageRevision.id.desc())))


def find_revision(page: Page, revision_id: int) -> PageRevision | None:
    revision = db.session.get(PageRevision, revision_id)
    return revision if revision is not None and revision.page_id == page.id else None


def restore_revision(author: User, page: Page, revision: PageRevision) -> PageRevision:
    """Put an old version back, as a new version, so the history keeps everything."""
    return save_page(author, page, revision.title, revision.summary, revision.body,
                     f"Restored the version saved on {day_and_time(revision.created_at, DEFAULT_ZONE)} (UK time)", None)
