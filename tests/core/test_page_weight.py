"""DESIGN.md's budget: a page's HTML + CSS + JS, uncompressed, is at most 60 KB."""

import re

import pytest

from community.forums import services as forums
from community.pages import services as pages

BUDGET = 60 * 1024
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"')


def page_weight(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code in (200, 404), url
    html = response.data
    assets = ASSET.findall(response.text)
    return len(html) + sum(len(client.get(asset).data) for asset in assets)


@pytest.fixture
def every_page(db):
    pages.seed_pages()
    return (["/", "/resources", "/need-help", "/login", "/signup", "/reset-password", "/membership", "/nowhere",
             "/about", "/contact", "/contact/sent", "/privacy", "/guidelines", "/accessibility", "/cafe",
             "/stories/tell-your-story"]
            + [f"/resources/{page.slug}" for page in pages.list_pages()])


def test_every_public_page_is_within_budget(client, every_page):
    weights = {url: page_weight(client, url) for url in every_page}
    too_heavy = {url: weight for url, weight in weights.items() if weight > BUDGET}
    assert not too_heavy, f"over {BUDGET} bytes: {too_heavy}"


def test_every_signed_in_page_is_within_budget(client, as_role, every_page):
    admin = as_role("admin")
    pages.accept_guidelines(admin)
    category = forums.create_category(admin, "Living with a leak")
    first = forums.create_thread(admin, category, "Lying flat", "Hello.")
    urls = ["/account", "/account/email", "/account/password", "/lounge", "/admin", "/admin/members",
            f"/admin/members/{admin.id}", "/admin/pages", "/admin/pages/navigating-healthcare",
            "/admin/pages/navigating-healthcare/history", "/account/sessions", "/account/two-factor",
            "/account/two-factor/setup", "/account/confirm", "/admin/gift-codes", "/admin/stripe-events",
            "/admin/gift-aid", "/membership/gift", "/admin/pages/new", "/admin/settings", "/admin/pages/privacy",
            "/guidelines", "/contact", "/forums", f"/forums/{category.slug}", f"/forums/{category.slug}/new",
            f"/forums/t/{first.thread_id}", f"/forums/t/{first.thread_id}/reply", "/admin/forums", "/cafe",
            "/cafe/admin", "/my/stories", "/my/stories/new"]
    weights = {url: page_weight(client, url) for url in urls}
    too_heavy = {url: weight for url, weight in weights.items() if weight > BUDGET}
    assert not too_heavy, f"over {BUDGET} bytes: {too_heavy}"
