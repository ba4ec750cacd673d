"""Page rules: loading the charity's pages from Markdown files, editing, history and restoring; new hub pages,
publishing and order; the community guidelines and who agreed to them; the contact form's message."""

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from markupsafe import Markup
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload

from community.accounts.models import User
from community.dates import DEFAULT_ZONE, day_and_time
from community.extensions import db, utcnow
from community.mail import send_email
from community.markdown import Heading, RenderedMarkdown, render_markdown
from community.moderation.services import record_action
from community.process_cache import ProcessCache
from community.refusals import Refusal

from . import site_settings
from .models import HUB, PAGE_KINDS, TRUST, GuidelinesAcceptance, Page, PageRevision

# The trust pages, each at its own address (/about, ...), in the order the admin list shows them.
TRUST_SLUGS = ("about", "contact", "privacy", "guidelines", "accessibility")
# Slugs a new hub page cannot take: the trust pages' and the admin screens' own.
RESERVED_SLUGS = frozenset(TRUST_SLUGS) | {"new"}
SLUG_MAX = 80
# The community guidelines' version. Raise it when the rules really change (not for a typo), so everyone is asked
# to agree to the new version before they next post.
GUIDELINES_VERSION = "1"
CONTACT_MESSAGE_MAX = 5000

CONTENT_DIR = Path(__file__).with_name("content")


class PageError(Refusal):
    """A page edit we refuse."""


class ContactError(Refusal):
    """The contact form's message could not be sent."""


@dataclass(frozen=True)
class PageSource:
    slug: str
    title: str
    summary: str
    position: int
    body: str
    kind: str = HUB


def read_content_file(path: Path) -> PageSource:
    """Parse a content file: a `---` block of `key: value` lines (title, summary, order, and `kind: trust` for a
    trust page), then Markdown."""
    text = path.read_text(encoding="utf-8")
    _, header, body = text.split("---\n", 2)
    fields = dict(line.split(":", 1) for line in header.strip().splitlines())
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    kind = fields.get("kind", HUB)
    if kind not in PAGE_KINDS:
        raise ValueError(f"{path.name}: kind must be one of {', '.join(PAGE_KINDS)}")
    if kind == TRUST and path.stem not in TRUST_SLUGS:
        # Each trust page has its own address (a route named after it): a new one needs a route first.
        raise ValueError(f"{path.name}: a trust page needs its own route; the trust pages are {TRUST_SLUGS}")
    return PageSource(path.stem, fields["title"], fields["summary"], int(fields.get("order", 0)), body.strip() + "\n",
                      kind)


def content_sources(directory: Path = CONTENT_DIR) -> list[PageSource]:
    return sorted((read_content_file(path) for path in directory.glob("*.md")), key=lambda s: (s.kind, s.position))


def seed_pages(directory: Path = CONTENT_DIR) -> list[str]:
    """Create every page that has a content file but no row yet. Pages admins have edited are left alone."""
    existing = set(db.session.scalars(select(Page.slug)))
    created = []
    for source in content_sources(directory):
        if source.slug in existing:
            continue
        page = render_body(Page(slug=source.slug, title=source.title, summary=source.summary, body=source.body,
                                position=source.position, kind=source.kind, published=True))
        db.session.add(page)
        db.session.flush()
        _add_revision(page, None, "Loaded from the charity's content files")
        created.append(source.slug)
    _pages_changed()
    return created


def render_body(page: Page) -> Page:
    """Turn the page's Markdown into the HTML and contents list every reader is served: once, when it is saved."""
    rendered = render_markdown(page.body)
    page.body_html, page.contents = str(rendered.html), [[heading.id, heading.text] for heading in rendered.contents]
    return page


def render_all_pages() -> int:
    """Render every page again (after a change to how Markdown is turned into HTML): `flask pages render`."""
    pages = list(db.session.scalars(select(Page)))
    for page in pages:
        render_body(page)
    _pages_changed()
    return len(pages)


def _add_revision(page: Page, author: User | None, note: str) -> PageRevision:
    revision = PageRevision(page_id=page.id, title=page.title, summary=page.summary, body=page.body,
                            note=note, author_id=author.id if author else None)
    db.session.add(revision)
    db.session.flush()
    page.current_revision_id = revision.id
    page.updated_at = utcnow()
    return revision


# Lists and cards never show a page's text, in Markdown or HTML.
_TEXT_DEFERRED = (defer(Page.body), defer(Page.body_html), defer(Page.contents))


@dataclass(frozen=True)
class PageCard:
    """What a list of guides shows of a page."""
    slug: str
    title: str
    summary: str
    kind: str


# The home page and the hub list the guides on every visit; they change when an admin edits one.
HUB_LIST_CACHE_SECONDS = 60
_hub_list: ProcessCache[tuple[PageCard, ...]] = ProcessCache("pages.hub_list", HUB_LIST_CACHE_SECONDS)


def list_pages() -> tuple[PageCard, ...]:
    """The resource hub's published pages, in order: kept per process for a minute, cleared at once by any change
    made in this process (other processes show it within the minute)."""
    return _hub_list.get(lambda: tuple(
        PageCard(*row) for row in db.session.execute(
            select(Page.slug, Page.title, Page.summary, Page.kind).where(Page.kind == HUB, Page.published.is_(True))
            .order_by(Page.position, Page.title))))


@dataclass(frozen=True)
class PageView:
    """A page as its readers get it, its text already HTML: what `page_to_read` keeps."""
    id: int | None
    slug: str
    title: str
    summary: str
    kind: str
    published: bool
    updated_at: datetime
    body_html: str
    contents: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, page: Page) -> "PageView":
        return cls(page.id, page.slug, page.title, page.summary, page.kind, page.published, page.updated_at,
                   page.body_html, tuple((anchor, text) for anchor, text in page.contents or []))

    @property
    def rendered(self) -> RenderedMarkdown:
        return RenderedMarkdown(Markup(self.body_html),  # noqa: S704 - sanitised when saved  # nosec B704
                                [Heading(anchor, text) for anchor, text in self.contents])


# Hub and trust pages are read far more than they change: each process keeps the ones it has served for a minute.
_page_views: ProcessCache[dict[str, PageView]] = ProcessCache("pages.views", HUB_LIST_CACHE_SECONDS)


def page_to_read(slug: str) -> PageView | None:
    """The page at `slug` for reading (a hub or trust page, published or not: the view decides who may see it).
    Kept per process for a minute, cleared at once by any change made in this process."""
    views = _page_views.get(dict)
    if slug not in views:
        page = find_page(slug) if slug not in TRUST_SLUGS else find_trust_page(slug)
        if page is None:
            return None  # not kept: a made-up address must not grow the process's memory
        views[slug] = PageView.of(page)
    return views[slug]


def _pages_changed() -> None:
    """Commit a change to any page, and forget this process's copies of the guides and pages."""
    db.session.commit()
    _hub_list.clear()
    _page_views.clear()


def list_all_pages() -> list[Page]:
    """Every page, hub and trust, published or not, for the admins' list."""
    return list(db.session.scalars(select(Page).options(*_TEXT_DEFERRED).order_by(Page.position, Page.title)))


def list_public_pages() -> list[Page]:
    """Every page the public can read (published hub pages and the trust pages), for the sitemap."""
    return list(db.session.scalars(
        select(Page).options(*_TEXT_DEFERRED, defer(Page.summary)).where(Page.published.is_(True))
        .order_by(Page.kind, Page.position, Page.title)))


def find_page(slug: str) -> Page | None:
    return db.session.scalar(select(Page).where(Page.slug == slug))


def find_trust_page(slug: str) -> Page | None:
    """A trust page; if `flask pages seed` has not run yet, the words of its content file (not saved), so the
    privacy notice and the others are always there."""
    page = find_page(slug)
    if page is not None:
        return page if page.kind == TRUST else None
    path = CONTENT_DIR / f"{slug}.md"
    if slug not in TRUST_SLUGS or not path.is_file():
        return None
    source = read_content_file(path)
    return render_body(Page(slug=source.slug, title=source.title, summary=source.summary, body=source.body,
                            position=source.position, kind=TRUST, published=True, updated_at=utcnow()))


NOT_SURE_WHICH_VERSION = ("We could not tell which version of the page you started from, so nothing was saved. "
                          "Your text is still below: copy it, open the page again, then paste in your changes.")


def revision_number(text: str | None) -> int:
    """The version an edit started from, as the editor's hidden field sent it. Refused unless it is a plain number
    a version's id can be: missing, "abc" or a 30-digit number is never taken to mean "do not check"."""
    if text is None or not re.fullmatch(r"[0-9]{1,10}", text) or not 0 < int(text) < 2**31:
        raise PageError(NOT_SURE_WHICH_VERSION)
    return int(text)


def save_page(author: User, page: Page, title: str, summary: str, body: str, note: str,
              based_on_revision: int | None) -> PageRevision:
    """Save an edit as a new version. Refused if someone saved in between, so neither edit is lost unseen.
    None for `based_on_revision` is only for restoring a version, a decision about the page as it is now."""
    if based_on_revision is not None and based_on_revision != page.current_revision_id:
        raise PageError("Someone else saved this page after you opened it. Your text is still below: copy "
                        "what you need, then open the page again to see their changes.")
    if not title.strip() or not summary.strip() or not body.strip():
        raise PageError("A page needs a title, a summary and some text.")
    page.title, page.summary, page.body = title.strip(), summary.strip(), body.strip() + "\n"
    render_body(page)
    revision = _add_revision(page, author, note.strip())
    _pages_changed()
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


# New hub pages, publishing and order ---------------------------------------------------------------------------

def slug_from_title(title: str) -> str:
    """"Living with a leak: tips" -> "living-with-a-leak-tips"."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:SLUG_MAX].strip("-")


def _check_slug(slug: str) -> str:
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
        raise PageError("Use only small letters, numbers and single hyphens in the web address, like "
                        "living-with-a-leak.", "slug")
    if len(slug) > SLUG_MAX:
        raise PageError(f"Keep the web address to {SLUG_MAX} characters.", "slug")
    if slug in RESERVED_SLUGS or find_page(slug) is not None:
        raise PageError(f"There is already a page at /resources/{slug} (or the site needs that address). "
                        "Choose another web address.", "slug")
    return slug


def create_page(author: User, title: str, slug: str, summary: str, body: str, publish: bool) -> Page:
    """A new hub page at the end of the hub's list; its first version is in its history. `slug` empty: made
    from the title."""
    title, summary, body = title.strip(), summary.strip(), body.strip()
    if not title or not summary or not body:
        raise PageError("A page needs a title, a summary and some text.")
    slug = _check_slug(slug.strip().lower() or slug_from_title(title))
    last = db.session.scalar(select(func.max(Page.position)).where(Page.kind == HUB)) or 0
    page = render_body(Page(slug=slug, title=title, summary=summary, body=body + "\n", position=last + 1, kind=HUB,
                            published=publish))
    db.session.add(page)
    try:
        db.session.flush()
    except IntegrityError:  # someone took the address a moment ago
        db.session.rollback()
        raise PageError("Someone has just made a page with that web address. Choose another.", "slug") from None
    _add_revision(page, author, "Created")
    record_action(author, "page.created", "page", page.id,
                  detail=f"/resources/{slug}, {'published' if publish else 'not published yet'}")
    _pages_changed()
    return page


def set_published(author: User, page: Page, published: bool) -> None:
    """Publish or unpublish a hub page. Trust pages are required, so they always stay published."""
    if page.is_trust_page and not published:
        raise PageError(f"“{page.title}” is one of the pages every visitor must be able to read, so it cannot be "
                        "unpublished. You can change its words instead.")
    if page.published == published:
        return
    page.published = published
    record_action(author, "page.published" if published else "page.unpublished", "page", page.id,
                  detail=f"/resources/{page.slug}")
    _pages_changed()


def move_page(author: User, page: Page, direction: str) -> bool:
    """Move a hub page one place "up" or "down" in the hub's list. False when it is already at that end."""
    if page.is_trust_page:
        raise PageError("The trust pages keep their own order.")
    pages = list(db.session.scalars(select(Page).where(Page.kind == HUB).order_by(Page.position, Page.title)))
    index = next(number for number, each in enumerate(pages) if each.id == page.id)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(pages):
        return False
    pages[index], pages[other] = pages[other], pages[index]
    # Renumbered from 1, so pages that shared a position (or had gaps) get a clear order.
    for position, each in enumerate(pages, start=1):
        each.position = position
    record_action(author, "page.moved", "page", page.id, detail=f"{direction} to place {other + 1} of {len(pages)}")
    _pages_changed()
    return True


# Community guidelines -------------------------------------------------------------------------------------------

def _is_current_acceptance(user_id) -> tuple:
    """The WHERE clause of `user_id`'s acceptance of the current guidelines (a value or a column)."""
    return GuidelinesAcceptance.user_id == user_id, GuidelinesAcceptance.version == GUIDELINES_VERSION


def guidelines_acceptance(user: User) -> GuidelinesAcceptance | None:
    """When `user` agreed to the current guidelines, if they have."""
    return db.session.scalar(select(GuidelinesAcceptance).where(*_is_current_acceptance(user.id)))


def accepted_current_guidelines(user_id):
    """has_accepted_current_guidelines as SQL, for a page that asks inside a statement of its own (the forum's
    thread page): `user_id` a value, a column or a bound parameter."""
    return exists().where(*_is_current_acceptance(user_id))


def has_accepted_current_guidelines(user: User) -> bool:
    """True once `user` has agreed to this version of the community guidelines (asked before a first post)."""
    return bool(user and user.is_authenticated) and guidelines_acceptance(user) is not None


def accept_guidelines(user: User) -> GuidelinesAcceptance:
    """Record that `user` agrees to the current guidelines; agreeing twice (two taps) keeps the first."""
    existing = guidelines_acceptance(user)
    if existing is not None:
        return existing
    acceptance = GuidelinesAcceptance(user_id=user.id, version=GUIDELINES_VERSION)
    db.session.add(acceptance)
    try:
        db.session.commit()
    except IntegrityError:  # the same person's other tap got there first
        db.session.rollback()
        return guidelines_acceptance(user)
    return acceptance


# The contact form -----------------------------------------------------------------------------------------------

def send_contact_message(name: str, email: str, message: str) -> None:
    """Email a visitor's message to the charity's address. The sender's address is in the message (with a line
    saying to reply to it), since our emails come from the charity's own address."""
    name = " ".join((name or "").split())[:100]  # one line: it goes into the subject
    email = email.strip()
    message = message.strip()
    if not message or len(message) > CONTACT_MESSAGE_MAX:
        raise ContactError(f"Write a message of up to {CONTACT_MESSAGE_MAX:,} characters.", "message")
    to = site_settings.charity().email
    subject = f"Contact form: message from {name or email}"
    sent = send_email(to, subject, "contact_message",
                      "someone wrote to the charity using the contact form on its website",
                      name=name, email=email, message=message)
    if not sent:
        raise ContactError("Sorry, we could not send your message just now. Nothing is lost: your words are "
                           f"still below. Please try again in a few minutes, or email us at {to}.")
