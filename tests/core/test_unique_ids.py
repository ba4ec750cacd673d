"""Every id on a page is unique, so each label, hint and error message points at the one field it belongs to."""

import re
from collections import Counter

from community.forums import services as forums
from community.pages import services as pages

ID = re.compile(r'\sid="([^"]+)"')


def duplicate_ids(html: str) -> list[str]:
    return [value for value, count in Counter(ID.findall(html)).items() if count > 1]


def test_no_page_repeats_an_id(client, as_role):
    pages.seed_pages()
    admin = as_role("admin")
    pages.accept_guidelines(admin)
    category = forums.create_category(admin, "Living with a leak")
    first = forums.create_thread(admin, category, "Lying flat", "Hello.", "mentions of pain")
    forums.create_post(admin, forums.get_thread(admin, first.thread_id), "Again.")
    urls = ["/", "/resources", "/need-help", "/membership", "/account", "/account/email", "/account/password",
            "/account/sessions", "/account/two-factor", "/account/two-factor/setup", "/account/confirm", "/admin",
            "/admin/members", f"/admin/members/{admin.id}", "/admin/pages", "/admin/pages/navigating-healthcare",
            "/admin/pages/navigating-healthcare/history", "/admin/gift-codes", "/admin/stripe-events",
            "/admin/gift-aid", "/membership/gift", "/about", "/contact", "/contact/sent", "/privacy", "/guidelines",
            "/accessibility", "/admin/pages/new", "/admin/settings", "/admin/pages/privacy", "/forums",
            f"/forums/{category.slug}", f"/forums/{category.slug}/new", f"/forums/t/{first.thread_id}",
            f"/forums/t/{first.thread_id}/reply?quote={first.id}", f"/forums/p/{first.id}/edit",
            f"/forums/p/{first.id}/delete", "/admin/forums", "/admin/forums/new", f"/admin/forums/{category.id}"]
    repeated = {url: ids for url in urls if (ids := duplicate_ids(client.get(url).text))}
    assert not repeated, f"ids used more than once: {repeated}"
