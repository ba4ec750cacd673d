"""robots.txt keeps crawlers out of members' spaces and accounts; the sitemap lists the public pages."""

from xml.etree import ElementTree

import pytest

from community.pages import services

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def seeded(db):
    services.seed_pages()


def robots_rules(client) -> tuple[set[str], set[str], list[str]]:
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    allow = {line.split(": ", 1)[1] for line in lines if line.startswith("Allow: ")}
    disallow = {line.split(": ", 1)[1] for line in lines if line.startswith("Disallow: ")}
    sitemaps = [line.split(": ", 1)[1] for line in lines if line.startswith("Sitemap: ")]
    return allow, disallow, sitemaps


def crawlable(path: str, allow: set[str], disallow: set[str]) -> bool:
    """Google's rule: the longest matching path wins; Allow wins a tie."""
    best_allow = max((len(rule) for rule in allow if path.startswith(rule)), default=-1)
    best_disallow = max((len(rule) for rule in disallow if path.startswith(rule)), default=-1)
    return best_allow >= best_disallow


def test_robots_keeps_crawlers_out_of_private_places_and_in_the_public_ones(client):
    allow, disallow, sitemaps = robots_rules(client)
    for path in ["/forums/t/1", "/lounge/diary", "/account", "/admin/pages", "/moderation", "/membership",
                 "/cafe/room", "/login", "/signup", "/reset-password/abc", "/my/stories", "/privacy/export",
                 "/privacy/erase", "/search?q=x", "/notifications", "/stripe/webhook"]:
        assert not crawlable(path, allow, disallow), path
    for path in ["/", "/resources", "/resources/arachnoid-blebs", "/about", "/contact", "/privacy", "/guidelines",
                 "/accessibility", "/stories", "/stories/3", "/need-help", "/cafe", "/cafe/calendar.ics"]:
        assert crawlable(path, allow, disallow), path
    assert sitemaps == ["http://127.0.0.1:5000/sitemap.xml"]


def test_the_sitemap_lists_every_public_page_with_when_it_changed(client, seeded):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    entries = {url.findtext("s:loc", namespaces=NS): url.findtext("s:lastmod", namespaces=NS)
               for url in root.findall("s:url", NS)}
    site = "http://127.0.0.1:5000"
    expected = {f"{site}/", f"{site}/resources", f"{site}/need-help",
                *(f"{site}/{slug}" for slug in services.TRUST_SLUGS),
                *(f"{site}/resources/{page.slug}" for page in services.list_pages())}
    assert set(entries) == expected
    page = services.find_page("arachnoid-blebs")
    assert entries[f"{site}/resources/arachnoid-blebs"] == page.updated_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert entries[f"{site}/privacy"] is not None


def test_the_sitemap_leaves_out_unpublished_pages_and_uses_the_site_url(app, client, seeded):
    services.set_published(None, services.find_page("arachnoid-blebs"), False)
    app.config["SITE_URL"] = "https://targetcsfleaks.org.uk"
    text = client.get("/sitemap.xml").text
    assert "arachnoid-blebs" not in text and "<loc>https://targetcsfleaks.org.uk/about</loc>" in text
    assert "Sitemap: https://targetcsfleaks.org.uk/sitemap.xml" in client.get("/robots.txt").text
