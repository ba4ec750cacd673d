"""Every page, as every kind of visitor: no id used twice, none of the form library's own messages (after an
empty submit of each form, too), and no link to a page that does not exist."""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from tests.conftest import csrf_token_from
from tests.core.test_unique_ids import duplicate_ids
from tests.site_tour import fill_url, make_people, url_values

# WTForms' built-in English messages: none of them may reach a person (community.forms puts ours in their place).
LIBRARY_MESSAGES = ["This field is required", "Not a valid", "Invalid email address", "Field cannot be longer",
                    "Field must be", "is not a valid choice", "Invalid input", "Invalid Choice", "Number must be",
                    "Date must be", "Invalid URL", "CSRF token", "CSRF failed"]
ROLES = ["anonymous", "registered", "member", "moderator", "admin"]
# Addresses that act, or answer something other than a page, when opened.
NOT_PAGES = ("/logout", "/static/", "/healthz", "/stripe/webhook", ".csv", ".ics", ".atom", ".xml", ".txt")


class _Page(HTMLParser):
    """The links on a page, and its POST forms with their fields."""

    def __init__(self):
        super().__init__()
        self.links: set[str] = set()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.add(attrs["href"])
        elif tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action"),
                               "fields": []})
        elif tag in ("input", "textarea", "select") and self.forms and attrs.get("name"):
            self.forms[-1]["fields"].append((attrs.get("type") or tag, attrs["name"]))


def _page_urls(app, people) -> list[str]:
    """Every GET route with its parameters filled in from real data."""
    values = url_values(people)
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(NOT_PAGES) or rule.rule.endswith(NOT_PAGES):
            continue
        urls.append(fill_url(rule.rule, values))
    return sorted(set(urls))


@pytest.fixture
def people(app, db):
    return make_people()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_unique_ids_our_own_messages_and_no_dead_links(app, login, people, role):
    client = app.test_client()
    if role != "anonymous":
        assert login(people[role], the_client=client).status_code == 302
    problems: list[str] = []
    checked_links: dict[str, int] = {}
    visited = submitted = 0
    for url in _page_urls(app, people):
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        visited += 1
        html = response.text
        if ids := duplicate_ids(html):
            problems.append(f"{url}: ids used twice: {ids}")
        page = _Page()
        page.feed(html)
        for link in page.links:
            target = urljoin(url, link)
            parts = urlsplit(target)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost") or \
                    parts.path.startswith(NOT_PAGES) or parts.path.endswith(NOT_PAGES):
                continue
            if parts.path not in checked_links:
                checked_links[parts.path] = client.get(parts.path).status_code
            if checked_links[parts.path] == 404:
                problems.append(f"{url}: links to {parts.path}, which does not exist")
        # An empty submit of each form with something to fill in: the messages must be ours.
        for form in page.forms:
            if form["method"] != "post" or not any(kind not in ("hidden", "submit") for kind, _ in form["fields"]):
                continue
            data = {name: "" for kind, name in form["fields"] if kind not in ("hidden", "submit", "checkbox")}
            data["csrf_token"] = csrf_token_from(html)
            answer = client.post(urljoin(url, form["action"] or url), data=data)
            submitted += 1
            for message in LIBRARY_MESSAGES:
                if message in answer.text:
                    problems.append(f"{url}: an empty submit shows the library's {message!r}")
    assert visited > 10 and submitted > 3, "the test reached too few pages and forms to mean anything"
    assert not problems, "\n".join(problems)
