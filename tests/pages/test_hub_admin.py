"""Admins make, unpublish, republish and reorder hub pages; an edit whose starting version is missing or garbled is
refused rather than saved over someone else's (bug 6); page text can hold tables."""

import pytest

from community.moderation.models import AuditEntry
from community.pages import services
from community.pages.models import PageRevision
from tests.conftest import submit
from tests.factories import make_member

NEW_PAGE = {"title": "Living with a leak: tips", "slug": "", "summary": "Small things that help day to day.",
            "body": "## Rest\n\nLie down when you can.", "action": "save"}


@pytest.fixture
def seeded(db):
    services.seed_pages()


def hub_slugs(client) -> list[str]:
    """The hub's pages, in the order a visitor sees them."""
    text = client.get("/resources").text.split('<main id="main"', 1)[1]
    return [part.split('"', 1)[0] for part in text.split('href="/resources/')[1:]]


def audit_actions(db) -> list[str]:
    return list(db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.target_type == "page")
                                   .order_by(AuditEntry.id)))


# Making a page ----------------------------------------------------------------------------------------------------

def test_an_admin_makes_a_page_with_an_address_from_its_title(client, as_role, db, seeded):
    as_role("admin")
    response = submit(client, "/admin/pages/new", {**NEW_PAGE, "publish": "y"})
    assert response.status_code == 302 and response.location.endswith("/resources/living-with-a-leak-tips")
    page = client.get(response.location).text
    assert "<h1>Living with a leak: tips</h1>" in page and "Lie down when you can." in page
    assert hub_slugs(client)[-1] == "living-with-a-leak-tips"
    assert "Created" in client.get("/admin/pages/living-with-a-leak-tips/history").text
    assert audit_actions(db) == ["page.created"]


def test_the_address_can_be_chosen_and_must_be_free_and_tidy(client, as_role, seeded):
    as_role("admin")
    ok = submit(client, "/admin/pages/new", {**NEW_PAGE, "slug": "tips"})
    assert ok.location.endswith("/resources/tips")
    for slug, message in [("tips", "There is already a page at /resources/tips"),
                          ("privacy", "There is already a page at /resources/privacy"),
                          ("new", "There is already a page at /resources/new"),
                          ("Bad Slug!", "Use only small letters, numbers and single hyphens")]:
        response = submit(client, "/admin/pages/new", {**NEW_PAGE, "slug": slug})
        assert response.status_code == 400 and message in response.text, slug
        assert "Lie down when you can." in response.text  # what was typed comes back


def test_a_new_page_can_be_previewed_before_it_is_made(client, as_role, db, seeded):
    as_role("admin")
    response = submit(client, "/admin/pages/new", {**NEW_PAGE, "action": "preview"})
    assert "Preview – not saved yet" in response.text and '<h2 id="rest">Rest</h2>' in response.text
    assert services.find_page("living-with-a-leak-tips") is None


# Publishing ---------------------------------------------------------------------------------------------------------

def test_an_unpublished_page_is_hidden_from_everyone_but_admins(app, client, as_role, login, db, seeded):
    as_role("admin")
    submit(client, "/admin/pages/new", NEW_PAGE)  # "Publish it now" left unticked
    assert client.get("/admin/pages").text.count('<span class="tag">Unpublished</span>') == 1
    admin_view = client.get("/resources/living-with-a-leak-tips")
    assert admin_view.status_code == 200 and "Only admins can see this page" in admin_view.text
    assert "living-with-a-leak-tips" not in hub_slugs(client)
    assert "living-with-a-leak-tips" not in client.get("/sitemap.xml").text
    for role in ("anonymous", "member"):
        visitor = app.test_client()
        if role == "member":
            login(make_member(), the_client=visitor)
        assert visitor.get("/resources/living-with-a-leak-tips").status_code == 404, role


def test_unpublishing_and_republishing_a_page(client, as_role, db, seeded):
    as_role("admin")
    response = submit(client, "/admin/pages/arachnoid-blebs/unpublish", {}, page="/admin/pages")
    assert response.status_code == 302
    assert "only admins can see it now" in client.get("/admin/pages").text
    assert "arachnoid-blebs" not in client.get("/").text.split('<main id="main"', 1)[1]
    submit(client, "/admin/pages/arachnoid-blebs/publish", {}, page="/admin/pages")
    assert "arachnoid-blebs" in hub_slugs(client)
    assert audit_actions(db) == ["page.unpublished", "page.published"]


# Order --------------------------------------------------------------------------------------------------------------

def test_moving_pages_up_and_down_changes_the_hubs_order(client, as_role, db, seeded):
    as_role("admin")
    before = hub_slugs(client)
    response = submit(client, f"/admin/pages/{before[1]}/move-up", {}, page="/admin/pages")
    assert response.status_code == 302 and response.location.endswith(f"#page-{before[1]}")
    assert hub_slugs(client) == [before[1], before[0], *before[2:]]
    submit(client, f"/admin/pages/{before[1]}/move-down", {}, page="/admin/pages")
    assert hub_slugs(client) == before
    assert audit_actions(db) == ["page.moved", "page.moved"]


def test_the_first_page_cannot_go_higher_and_only_has_a_move_down_button(client, as_role, seeded):
    as_role("admin")
    first = hub_slugs(client)[0]
    listing = client.get("/admin/pages").text
    row = listing.split(f'id="page-{first}"', 1)[1].split("</tr>", 1)[0]
    assert "Move down" in row and "Move up" not in row
    submit(client, f"/admin/pages/{first}/move-up", {}, page="/admin/pages")
    assert "is already first" in client.get("/admin/pages").text
    assert hub_slugs(client)[0] == first


@pytest.mark.parametrize("role", ["anonymous", "member", "moderator"])
def test_only_admins_make_publish_and_move_pages(client, as_role, seeded, role):
    if role != "anonymous":
        as_role(role)
    expected = 302 if role == "anonymous" else 403
    assert client.get("/admin/pages/new").status_code == expected
    for action in ("unpublish", "move-up"):
        response = submit(client, f"/admin/pages/arachnoid-blebs/{action}", {}, page="/contact")
        assert response.status_code == expected
    assert "arachnoid-blebs" in hub_slugs(client)


# Bug 6: the version an edit started from ----------------------------------------------------------------------------

@pytest.mark.parametrize("based_on", ["abc", "", "99999999999999999999999", "-1", "1.5", "²", None])
def test_an_edit_without_a_clear_starting_version_is_refused_not_saved_over_others(client, as_role, db, seeded,
                                                                                   based_on):
    as_role("admin")
    page = services.find_page("arachnoid-blebs")
    original_title, versions = page.title, len(services.page_history(page))
    data = {"title": "My edit", "summary": page.summary, "body": "My careful words.", "note": "", "action": "save"}
    if based_on is not None:
        data["based_on_revision"] = based_on
    response = submit(client, "/admin/pages/arachnoid-blebs", data)
    assert response.status_code == 400
    assert "We could not tell which version of the page you started from, so nothing was saved." in response.text
    assert "My careful words." in response.text
    db.session.expire_all()
    page = services.find_page("arachnoid-blebs")
    assert page.title == original_title
    assert db.session.scalar(db.select(db.func.count(PageRevision.id)).where(
        PageRevision.page_id == page.id)) == versions


# Tables in page text ---------------------------------------------------------------------------------------------

def test_a_table_in_page_text_scrolls_in_its_own_box(client, as_role, seeded):
    as_role("admin")
    page = services.find_page("arachnoid-blebs")
    body = "Treatments:\n\n| Treatment | How often it helps |\n|---|---|\n| Blood patch | Often |\n"
    submit(client, "/admin/pages/arachnoid-blebs", {"title": page.title, "summary": page.summary, "body": body,
                                                   "note": "", "action": "save",
                                                   "based_on_revision": str(page.current_revision_id)})
    text = client.get("/resources/arachnoid-blebs").text
    assert '<div class="table-wrap" tabindex="0" role="region" aria-label="Table"><table>' in text
    assert '<th scope="col">Treatment</th>' in text and "<td>Blood patch</td>" in text
    assert "</table></div>" in text
