"""Markdown to safe HTML for every feature: raw HTML is never passed through, and the result is sanitised."""

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

_ALLOWED_TAGS = {"p", "br", "hr", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote",
                 "code", "pre", "table", "thead", "tbody", "tr", "th", "td"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "ol": {"start"}, "th": {"scope"}}
# A wide table scrolls inside its own box on a phone, not the whole page; the box can take keyboard focus so it
# can be scrolled without a mouse, and is named for screen readers.
_TABLE_WRAP = '<div class="table-wrap" tabindex="0" role="region" aria-label="Table">'
# The charity's own pages link where it chooses; what members write is marked as theirs for search engines
# ("ugc", "nofollow") so a spammer gains nothing from a post.
_OWN_LINK_REL = "noopener noreferrer"
_USER_LINK_REL = "nofollow ugc noopener"
_OWN_URL_SCHEMES = {"http", "https", "mailto", "tel"}
_USER_URL_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class Heading:
    id: str
    text: str


@dataclass(frozen=True)
class RenderedMarkdown:
    html: Markup
    contents: list[Heading]


@cache
def _parser() -> MarkdownIt:
    """One parser for the process: building one costs more than parsing a page. CommonMark with raw HTML switched
    off (people write text, never markup), plus GitHub-style tables. Parsing and rendering never change it."""
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _images_as_links(tokens: list[Token]) -> None:
    """Members' images are never loaded (a remote image tells its host who read the post, and when): each one
    becomes a plain link "Image: alt" to its address, or just its alt text when the address is not http(s)."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        inside_link = 0
        for child in token.children:
            if child.type == "link_open":
                inside_link += 1
            elif child.type == "link_close":
                inside_link -= 1
            if child.type != "image":
                children.append(child)
                continue
            alt = _plain_text(child.children or [])
            src = child.attrGet("src") or ""
            if urlsplit(str(src)).scheme.lower() not in ("http", "https") or inside_link:
                # Not a web address (or already inside a link, which cannot hold another): the words only.
                children.append(_text_token(alt))
                continue
            link_open = Token("link_open", "a", 1)
            link_open.attrSet("href", str(src))
            children += [link_open, _text_token(f"Image: {alt}" if alt else "Image"), Token("link_close", "a", -1)]
        token.children = children


def _plain_text(tokens: list[Token]) -> str:
    """The words of inline tokens, without their markup (an image's alt text)."""
    parts = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.children:
            parts.append(_plain_text(token.children))
    return "".join(parts).strip()


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def render_markdown(text: str, *, lowest_heading: int = 2, user_content: bool = False) -> RenderedMarkdown:
    """Render text; level-2 headings get ids and form the contents list. `#` headings are pushed down to
    `lowest_heading` so the page's own <h1> stays the only one.

    `user_content=True` is for what members write (posts, stories): links get `rel="nofollow ugc noopener"`,
    images become links instead of being loaded, and no heading is bigger than <h3> (so no ids either)."""
    if user_content:
        lowest_heading = max(lowest_heading, 3)
    md = _parser()
    tokens = md.parse(text or "")
    if user_content:
        _images_as_links(tokens)
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
                      url_schemes=_USER_URL_SCHEMES if user_content else _OWN_URL_SCHEMES,
                      link_rel=_USER_LINK_REL if user_content else _OWN_LINK_REL)
    # After cleaning, "<table>" can only be a real table: any typed "<" is escaped by now.
    clean = clean.replace("<table>", _TABLE_WRAP + "<table>").replace("</table>", "</table></div>")
    return RenderedMarkdown(Markup(clean), contents)  # noqa: S704 - sanitised by nh3 just above  # nosec B704
