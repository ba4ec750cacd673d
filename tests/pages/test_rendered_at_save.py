"""Hub and trust pages are turned into HTML when they are saved, not each time someone reads them (issue 14): what
a reader gets is the HTML kept with the page, and every way a page's words change renders it again."""

import pytest

from community.pages import services
from community.pages.models import Page
from tests.conftest import submit


@pytest.fixture
def hub(db):
    services.seed_pages()


def page_html(client, path: str) -> str:
    return client.get(path).text.split('<main id="main"', 1)[1]


def test_seeded_pages_are_kept_as_html_with_their_contents_list(db, hub):
    page = services.find_page("navigating-healthcare")
    assert page.body_html.startswith("<") and "## " not in page.body_html
    assert len(page.contents) > 2 and all(len(entry) == 2 for entry in page.contents)


def test_a_reader_is_served_the_html_made_when_the_page_was_saved(client, db, hub):
    # Proof that reading never parses the Markdown: HTML kept with the page is what the page shows.
    page = services.find_page("arachnoid-blebs")
    page.body_html, page.contents = "<p>Kept when saved.</p>", [["a", "A"], ["b", "B"], ["c", "C"]]
    db.session.commit()
    text = page_html(client, "/resources/arachnoid-blebs")
    assert "<p>Kept when saved.</p>" in text and '<a href="#c">C</a>' in text
    about = services.find_page("about")
    about.body_html = "<p>About us, kept.</p>"
    db.session.commit()
    assert "<p>About us, kept.</p>" in page_html(client, "/about")


def test_an_admins_edit_and_a_restore_render_the_page_again(client, as_role, db, hub):
    as_role("admin")
    page_html(client, "/resources/arachnoid-blebs")  # now kept by this process, as read
    page = services.find_page("arachnoid-blebs")
    original_html, first_revision = page.body_html, page.current_revision_id
    response = submit(client, "/admin/pages/arachnoid-blebs", {
        "title": page.title, "summary": page.summary, "note": "", "action": "save",
        "body": "## First\n\nNew words.\n\n## Second\n\n## Third\n\n<script>x</script>",
        "based_on_revision": str(page.current_revision_id)})
    assert response.status_code == 302
    text = page_html(client, "/resources/arachnoid-blebs")
    assert "New words." in text and '<a href="#third">Third</a>' in text and "<script>" not in text
    submit(client, f"/admin/pages/arachnoid-blebs/history/{first_revision}", {})
    db.session.expire_all()
    assert services.find_page("arachnoid-blebs").body_html == original_html
    assert "New words." not in page_html(client, "/resources/arachnoid-blebs")


def test_a_trust_page_edit_shows_at_once_in_the_process_that_saved_it(client, as_role, db, hub):
    assert "Edited words." not in page_html(client, "/about")
    as_role("admin")
    page = services.find_page("about")
    submit(client, "/admin/pages/about", {"title": page.title, "summary": page.summary, "note": "",
                                          "action": "save", "body": "Edited words.",
                                          "based_on_revision": str(page.current_revision_id)})
    assert "Edited words." in page_html(client, "/about")


def test_a_new_page_is_rendered_when_made(client, as_role, db, hub):
    as_role("admin")
    submit(client, "/admin/pages/new", {"title": "Tips", "slug": "", "summary": "Small things.",
                                        "body": "Lie **down**.", "action": "save", "publish": "y"})
    assert services.find_page("tips").body_html == "<p>Lie <strong>down</strong>.</p>\n"
    assert "Lie <strong>down</strong>." in page_html(client, "/resources/tips")


def test_flask_pages_render_renders_every_page_again(app, db, hub):
    db.session.execute(db.update(Page).values(body_html="", contents=[]))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["pages", "render"])
    assert result.exit_code == 0 and "Rendered 11 page(s)." in result.output
    db.session.expire_all()
    assert all(page.body_html for page in db.session.scalars(db.select(Page)))


def test_the_list_of_guides_changes_at_once_when_an_admin_changes_it(client, as_role, db, hub):
    assert "Arachnoid blebs" in page_html(client, "/")  # the list is now kept by this process
    as_role("admin")
    submit(client, "/admin/pages/arachnoid-blebs/unpublish", {})
    for path in ("/", "/resources"):
        assert "/resources/arachnoid-blebs" not in page_html(client, path)
    submit(client, "/admin/pages/arachnoid-blebs/publish", {})
    submit(client, "/admin/pages/arachnoid-blebs/move-up", {})
    listed = page_html(client, "/resources").split('href="/resources/')[1:3]
    assert listed[0].startswith("arachnoid-blebs")
