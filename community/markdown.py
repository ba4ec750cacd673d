"""Markdown to safe HTML for every feature: raw HTML is never passed through, and the result is sanitised."""

import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_ALLOWED_TAGS = {"p", "br", "hr", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote",
                 "code", "pre", "table", "thead", "tbody", "tr", "th", "td"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "ol": {"start"}, "th": {"scope"}}
# A wide table scrolls inside its own box on a phone, not the whole page; the box can take keyboard focus so it
# can be scrolled without a mouse, and is named for screen readers.
_TABLE_WRAP = '<div class="table-wrap" tabindex="0" role="region" aria-label="Table">'


@dataclass(frozen=True)
class Heading:
    id: str
    text: str


@dataclass(frozen=True)
class RenderedMarkdown:
    html: Markup
    contents: list[Heading]


def _parser() -> MarkdownIt:
    # CommonMark with raw HTML switched off (people write text, never markup), plus GitHub-style tables.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def render_markdown(text: str, *, lowest_heading: int = 2) -> RenderedMarkdown:
    """Render text; level-2 headings get ids and form the contents list. `#` headings are pushed down to
    `lowest_heading` so the page's own <h1> stays the only one."""
    md = _parser()
    tokens = md.parse(text or "")
    contents: list[Heading] = []
    used: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type == "th_open":
            # A table's header cells (only ever its first row) each name their column.
            token.attrSet("scope", "col")
        if token.type not in ("heading_open", "heading_close"):
            continue
        level = max(int(token.tag[1]), lowest_heading)
        token.tag = f"h{min(level, 4)}"
        if token.type == "heading_open" and token.tag == "h2":
            title = tokens[index + 1].content
            anchor = base = _slug(title)
            counter = 2
            while anchor in used:
                anchor, counter = f"{base}-{counter}", counter + 1
            used.add(anchor)
            token.attrSet("id", anchor)
            contents.append(Heading(anchor, title))
    html = md.renderer.render(tokens, md.options, {})
    clean = nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                      url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer")
    # After cleaning, "<table>" can only be a real table: any typed "<" is escaped by now.
    clean = clean.replace("<table>", _TABLE_WRAP + "<table>").replace("</table>", "</table></div>")
    return RenderedMarkdown(Markup(clean), contents)  # noqa: S704 - sanitised by nh3 just above
