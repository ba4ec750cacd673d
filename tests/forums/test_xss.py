"""Known XSS payloads, written as a member would write them, never reach a page as live markup: rendered as user
content, posted through the real reply and new-thread forms and read back on the thread page, in the preview and
in search results. Every page is parsed with html.parser and every tag and attribute checked."""

import re
from html.parser import HTMLParser

import pytest

from community.forums import services
from community.markdown import render_markdown
from community.pages.services import accept_guidelines
from tests.conftest import csrf_token_from, fresh_schema, make_test_app
from tests.factories import make_member, make_user

PAYLOADS = [
    # Script tags, split, nested and escaping from attributes or other elements.
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script/src=data:,alert(1)>",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<<script>alert(1)//<</script>",
    "<scr\x00ipt>alert(1)</scr\x00ipt>",
    # Event handlers, in many casings and shapes.
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    '<img src="x" onerror="alert(1)"/>',
    "<img/src/onerror=alert(1)>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(1)>",
    "<body onload=alert(1)>",
    "<BODY ONLOAD=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    "<a onmouseover=alert(1)>x</a>",
    '<a href="#" OnMouseOver="alert(1)">x</a>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<x onclick=alert(1)>click",
    "<isindex type=image src=1 onerror=alert(1)>",
    '"onmouseover=alert(1) x="',
    # SVG and MathML.
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<SVG ONLOAD=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<svg><style>{font-family:'<iframe/onload=confirm(1)>'}",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    # Frames, objects, forms, links to elsewhere.
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<button formaction=javascript:alert(1)>x</button>",
    '<link rel=stylesheet href="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    # Dangerous URLs in raw HTML, plain and obfuscated with entities and whitespace.
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    "<a href=javascript&colon;alert(1)>x</a>",
    '<a href="javas&Tab;cript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    # CSS.
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="width: expression(alert(1))">x</div>',
    '<span style="behavior: url(x.htc)">x</span>',
    '<p style="background-image: url(&#106;avascript:alert(1))">x</p>',
    '<style>body{background:url("javascript:alert(1)")}</style>',
    # Comments, CDATA and broken or unclosed markup.
    "<!--<script>alert(1)</script>-->",
    "<!-- --><script>alert(1)</script><!-- -->",
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<img src="x` `<script>alert(1)</script>"` `>',
    '<a href="x" <script>alert(1)</script>',
    "<img src=x onerror=alert(1)//",
    '<a href="javascript:alert(1)',
    "<img src=x onerror=alert(1) ",
    # Markdown links and images with those URLs.
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](javas&Tab;cript:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](  javascript:alert(1)  )",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '[x](javascript:alert(1) "title")',
    '[x](https://example.org/" onmouseover="alert(1))',
    '[x](https://example.org "title\\" onmouseover=\\"alert(1)")',
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    '![x" onerror="alert(1)](https://example.org/x.png)',
    '![x](https://example.org/x.png" onerror="alert(1))',
    "[![x](javascript:alert(1))](javascript:alert(1))",
    # Autolinks and reference-style links.
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[x][ref]\n\n[ref]: data:text/html,<script>alert(1)</script>",
    "![x][img]\n\n[img]: javascript:alert(1)",
    '[ref]\n\n[ref]: <javascript:alert(1)> "t"',
    # Markup inside Markdown's own constructs, and entities that must stay text.
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "> <script>alert(1)</script>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "# <script>alert(1)</script>",
    "**<img src=x onerror=alert(1)>**",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "javascript:alert(1)",
]

BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "srcset", "data",
                  "codebase", "cite", "ping"}
# Everything Markdown may produce in a post (community/markdown.py's allow-list, and the table wrapper).
ALLOWED_IN_POSTS = {
    "p": set(), "br": set(), "hr": set(), "h3": set(), "h4": set(), "ul": set(), "li": set(), "strong": set(),
    "em": set(), "blockquote": set(), "code": set(), "pre": set(), "table": set(), "thead": set(), "tbody": set(),
    "tr": set(), "td": set(), "ol": {"start"}, "th": {"scope"}, "a": {"href", "title", "rel"},
    "div": {"class", "tabindex", "role", "aria-label"},
}


def _url_is_dangerous(value: str) -> bool:
    # Browsers drop ASCII tabs and newlines anywhere in a URL, and spaces and control characters around it.
    squeezed = "".join(ch for ch in value if ch > " ").lower()
    return squeezed.startswith(BAD_SCHEMES)


class PageChecker(HTMLParser):
    """Collects every problem in a page: script-like tags, `on…` attributes, style attributes and dangerous URLs
    anywhere; and, inside posts (`<div class="prose">`), anything outside Markdown's allow-list."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, posts_only: bool = False):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.posts_only = posts_only
        # The open elements, each with whether what is inside it is a post's words.
        self.open: list[tuple[str, bool]] = []

    @property
    def in_post(self) -> bool:
        return self.open[-1][1] if self.open else self.posts_only

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        if tag not in self.VOID:
            starts_post = tag == "div" and "prose" in (dict(attrs).get("class") or "").split()
            self.open.append((tag, self.in_post or starts_post))

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if any(name == tag for name, _ in self.open):
            while self.open.pop()[0] != tag:
                pass

    def _check(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "applet", "frame", "frameset", "base", "style"):
            self.problems.append(f"<{tag}> tag")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name == "style":
                self.problems.append(f"<{tag} style=…>")
            if name in URL_ATTRIBUTES and value and _url_is_dangerous(value):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc=…>")
        if self.in_post:
            allowed = ALLOWED_IN_POSTS.get(tag)
            if allowed is None:
                self.problems.append(f"<{tag}> inside a post")
            else:
                extra = {name for name, _ in attrs} - allowed
                if extra:
                    self.problems.append(f"<{tag}> with {sorted(extra)} inside a post")


def problems_in(html: str, posts_only: bool = False) -> list[str]:
    checker = PageChecker(posts_only)
    checker.feed(html)
    checker.close()
    if "<script" in html.lower():
        checker.problems.append("<script in the text")
    return checker.problems


# Rendering -------------------------------------------------------------------------------------------------------

def test_there_are_at_least_fifty_payloads():
    assert len(PAYLOADS) >= 50 and len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_a_payload_rendered_as_a_members_words_is_harmless(payload):
    html = render_markdown(payload, user_content=True).html
    assert problems_in(html, posts_only=True) == [], html
    for href in _hrefs(html):
        # A link either has no scheme (a relative address, like "jav%09ascript:x", which is a path) or a safe one.
        scheme = _SCHEME.match("".join(ch for ch in href if ch > " "))
        assert scheme is None or scheme.group(1).lower() in ("http", "https", "mailto"), html


def test_all_payloads_together_are_harmless():
    html = render_markdown("\n\n".join(PAYLOADS), user_content=True).html
    assert problems_in(html, posts_only=True) == []


def test_the_checker_catches_what_it_should():
    """The assertions above would pass on an empty string: make sure they can fail."""
    assert problems_in('<a href="jav&#x09;ascript:alert(1)">x</a>')
    assert problems_in("<img src=x OnError=alert(1)>")
    assert problems_in('<div style="x">')
    assert problems_in("<SCRIPT>")
    assert problems_in("<svg>", posts_only=True)
    assert problems_in('<div class="prose"><img src="https://x"></div>')
    assert not problems_in('<svg aria-hidden="true"></svg><div class="prose"><p>hi</p></div><img src="/x.png">')


# A URL's scheme as browsers read it (WHATWG URL): a letter, then letters, digits, "+", "-" or ".", then ":".
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")


def _hrefs(html):
    found = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(value for name, value in attrs if name == "href" and value is not None)

    Links().feed(html)
    return found


# Through the real forms ------------------------------------------------------------------------------------------

@pytest.fixture
def app(database_url, tmp_path):
    """The usual test app with the posting limit off: one member posts every payload in a row."""
    with fresh_schema(make_test_app(database_url, tmp_path, RATELIMIT_ENABLED=False)) as app:
        yield app


@pytest.fixture
def writer(app, client, login):
    """A member who has agreed to the guidelines, logged in, and a thread to reply in."""
    admin = make_user("admin@example.org", role="admin")
    member = make_member("writer@example.org", display_name="Wren Writer")
    accept_guidelines(member)
    category = services.create_category(admin, "Living with a leak")
    first = services.create_thread(member, category, "Payloads", "The first post.")
    response = login(member)
    assert response.status_code == 302
    return {"member": member, "category": category, "thread_id": first.thread_id}


def _post(client, url, data):
    token = csrf_token_from(client.get(url).text)
    return client.post(url, data={**data, "csrf_token": token})


def _for_the_database(payload: str) -> str:
    # Sent as a browser would send it, NUL characters included: the forum drops them before saving.
    return payload


def test_payloads_posted_as_replies_are_harmless_on_the_thread_page(writer, client):
    thread_id = writer["thread_id"]
    for number, payload in enumerate(PAYLOADS, start=2):
        response = _post(client, f"/forums/t/{thread_id}/reply",
                         {"body": f"xsscheck {_for_the_database(payload)}", "confirm_contact": "y"})
        assert response.status_code == 302, (payload, response.status_code)
    thread_page = client.get(f"/forums/t/{thread_id}")
    assert thread_page.status_code == 200
    pages = [thread_page.text]
    for page in range(2, (len(PAYLOADS) + 1) // 20 + 2):
        answer = client.get(f"/forums/t/{thread_id}?page={page}")
        assert answer.status_code == 200
        pages.append(answer.text)
    assert sum(page.count("<article") for page in pages) == len(PAYLOADS) + 1
    for html in pages:
        assert problems_in(html) == []
        assert "<div class=\"prose\">" in html


def test_payloads_in_a_preview_are_harmless(writer, client):
    body = "\n\n".join(_for_the_database(payload) for payload in PAYLOADS)
    response = _post(client, f"/forums/t/{writer['thread_id']}/reply", {"body": body, "action": "preview"})
    assert response.status_code == 200
    assert problems_in(response.text) == []


def test_payloads_as_title_and_content_note_are_harmless(writer, client):
    slug = writer["category"].slug
    for payload in PAYLOADS[:60]:
        safe = _for_the_database(payload)
        response = _post(client, f"/forums/{slug}/new",
                         {"title": safe[:150], "body": "A post.", "content_note": safe[:120], "confirm_contact": "y"})
        assert response.status_code in (302, 400), (payload, response.status_code)
        if response.status_code == 302:
            page = client.get(response.location)
            assert problems_in(page.text) == [], payload
    assert problems_in(client.get(f"/forums/{slug}").text) == []


def test_payloads_found_by_search_are_harmless(writer, client):
    for payload in PAYLOADS:
        response = _post(client, f"/forums/t/{writer['thread_id']}/reply",
                         {"body": f"xsscheck {_for_the_database(payload)}", "confirm_contact": "y"})
        assert response.status_code == 302
    for page in (1, 2, 3, 4, 5, 6):
        answer = client.get(f"/search?q=xsscheck&page={page}")
        assert answer.status_code == 200
        assert problems_in(answer.text) == []
    for word in ("script", "alert", "onerror", "javascript", "svg"):
        answer = client.get(f"/search?q={word}")
        assert answer.status_code == 200
        assert problems_in(answer.text) == []
