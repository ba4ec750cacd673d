"""The trust pages (about, contact, privacy, guidelines, accessibility): public, in plain words, edited by admins
like the hub pages, never listed in the hub, and always there."""

import re

import pytest

from community.pages import services, site_settings
from community.pages.models import Page
from tests.conftest import submit

TRUST_PAGES = {"/about": "About us", "/contact": "Contact us", "/privacy": "Privacy notice",
               "/guidelines": "Community guidelines", "/accessibility": "Accessibility statement"}


@pytest.fixture
def seeded(db):
    services.seed_pages()


def main_of(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


@pytest.mark.parametrize("url,title", TRUST_PAGES.items())
def test_each_trust_page_is_public_with_one_heading_and_a_one_sentence_summary(client, seeded, url, title):
    response = client.get(url)
    assert response.status_code == 200
    main = main_of(response.text)
    assert main.count("<h1>") == 1 and f"<h1>{title}</h1>" in main
    summary = re.search(r'<p class="lede">(.*?)</p>', main).group(1)
    assert summary.endswith(".") and summary.count(". ") == 0, "the summary is one sentence"
    assert f"<title>{title} – Target CSF Leaks</title>" in response.text
    assert f'<meta name="description" content="{summary}">' in response.text
    assert "Last updated" in main


def test_the_pages_say_what_was_asked_of_them(client, seeded):
    about = client.get("/about").text
    for words in ("UK patient charity", "lumbar puncture", "epidural", "spinal surgery", "not doctors"):
        assert words in about
    privacy = client.get("/privacy").text
    for words in ("Stripe", "never reach us", "Article 9(2)(a)", "Article 9(2)(d)", "contract", "30 days",
                  "6 years", "HMRC", "Moderators", "Admins", "email provider", "no trackers", "ico.org.uk",
                  'href="/account"'):
        assert words in privacy, words
    guidelines = client.get("/guidelines").text
    for words in ("Be kind", "not medical advice", "Do not name", "privacy", "selling", "hold", "hide", "warn",
                  "suspend", "never blocked"):
        assert words in guidelines, words
    accessibility = client.get("/accessibility").text
    for words in ("WCAG", "2.2", "AA", "without JavaScript", "text size", "dark", "know some things",
                  "Tell us about a problem", "26 November 2026"):
        assert words in accessibility, words


def test_trust_pages_are_not_in_the_hub_and_hub_addresses_lead_to_their_own(client, seeded):
    hub = client.get("/resources").text
    home = client.get("/").text
    for slug in services.TRUST_SLUGS:
        assert f"/resources/{slug}" not in hub and f"/resources/{slug}" not in home
    response = client.get("/resources/privacy")
    assert response.status_code == 301 and response.location.endswith("/privacy")


def test_admins_edit_trust_pages_with_history_and_see_them_in_their_own_group(client, as_role, seeded):
    as_role("admin")
    listing = client.get("/admin/pages").text
    hub_part, trust_part = listing.split("<h2>Trust pages</h2>", 1)
    assert 'href="/admin/pages/privacy"' in trust_part and 'href="/admin/pages/privacy"' not in hub_part
    assert 'href="/admin/pages/arachnoid-blebs"' in hub_part
    page = services.find_page("privacy")
    response = submit(client, "/admin/pages/privacy", {
        "title": page.title, "summary": page.summary, "body": page.body + "\n## Cookies\n\nNew words.",
        "note": "Cookies section", "based_on_revision": str(page.current_revision_id), "action": "save"})
    assert response.status_code == 302 and response.location.endswith("/privacy")
    assert "New words." in client.get("/privacy").text
    assert "Cookies section" in client.get("/admin/pages/privacy/history").text


def test_trust_pages_cannot_be_unpublished(client, as_role, seeded):
    as_role("admin")
    response = submit(client, "/admin/pages/privacy/unpublish", {}, page="/admin/pages")
    assert response.status_code == 302
    assert "cannot be unpublished" in client.get("/admin/pages").text
    assert client.get("/privacy").status_code == 200
    assert services.find_page("privacy").published


def test_trust_pages_show_their_words_even_before_the_pages_are_seeded(client, db):
    response = client.get("/privacy")
    assert response.status_code == 200 and "Privacy notice" in response.text
    assert db.session.scalar(db.select(db.func.count(Page.id))) == 0


def test_about_and_privacy_name_the_charity_with_its_settings(client, seeded):
    site_settings.update_settings(None, {"charity_number": "1234567", "charity_address": "1 High Street, Leeds"})
    for url in ("/about", "/privacy", "/contact"):
        main = main_of(client.get(url).text)
        assert "registered charity number 1234567" in main and "1 High Street, Leeds" in main


def test_every_page_template_gives_a_description(client, seeded):
    """base.html puts the block into <meta name="description">: each page fills it with its own sentence."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "templates" / "pages"
    for template in folder.glob("*.html"):
        if template.name in ("home.html", "contact.html", "guidelines.html"):  # the last two: from trust.html
            continue
        assert "{% block description %}" in template.read_text(), template.name


def test_anonymous_trust_pages_cost_one_query(app, client, count_queries, seeded):
    app.config["SITE_SETTINGS_CACHE_SECONDS"] = 3600
    site_settings.clear_cache()
    site_settings.charity()
    for url in TRUST_PAGES:
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        assert len(queries) == 1, url
