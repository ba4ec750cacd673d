"""The public resource hub, the crisis page, and admins editing pages with preview, history and restore."""

import pytest

from community.pages import services
from community.pages.models import PageRevision
from tests.conftest import submit

HUB_SLUGS = ["understanding-csf-leaks", "arachnoid-blebs", "navigating-healthcare", "emotional-support",
             "raising-awareness", "outlook-and-prognosis"]


@pytest.fixture
def hub(db):
    services.seed_pages()


def test_every_hub_page_is_public_with_a_summary_first(client, hub):
    home = client.get("/").text
    for slug in HUB_SLUGS:
        assert f'href="/resources/{slug}"' in home
        page = client.get(f"/resources/{slug}")
        assert page.status_code == 200
        main = page.text.split('<main id="main"', 1)[1]
        assert main.count("<h1>") == 1
        assert main.index("In short") < main.index('class="prose"')


def test_long_pages_have_a_contents_list_linking_to_sections(client, hub):
    text = client.get("/resources/navigating-healthcare").text
    assert 'aria-labelledby="contents-title"' in text
    first_link = text.split('aria-labelledby="contents-title"', 1)[1].split('href="#', 1)[1].split('"', 1)[0]
    assert f'id="{first_link}"' in text


def test_an_unknown_page_is_a_friendly_404(client, hub):
    response = client.get("/resources/no-such-thing")
    assert response.status_code == 404 and "Page not found" in response.text


def test_need_help_lists_emergency_numbers_and_is_linked_from_every_page(client, hub):
    text = client.get("/need-help").text
    for number in ("999", "111", "116 123"):
        assert number in text
    for url in ["/", "/login", "/resources/arachnoid-blebs", "/membership", "/no-such-page"]:
        header = client.get(url).text.split("</header>", 1)[0]
        assert 'href="/need-help">Need help now?</a>' in header


def test_seeding_twice_keeps_admin_edits(db, hub):
    page = services.find_page("arachnoid-blebs")
    page.title = "Edited by an admin"
    db.session.commit()
    assert services.seed_pages() == []
    assert services.find_page("arachnoid-blebs").title == "Edited by an admin"


def edit(client, slug, **changes):
    page = services.find_page(slug)
    data = {"title": page.title, "summary": page.summary, "body": page.body, "note": "",
            "based_on_revision": str(page.current_revision_id), "action": "save", **changes}
    return submit(client, f"/admin/pages/{slug}", data)


def test_preview_shows_the_change_without_saving_it(client, as_role, hub):
    as_role("admin")
    response = edit(client, "arachnoid-blebs", body="## New section\n\nFresh words.", action="preview")
    assert response.status_code == 200
    assert "Preview – not saved yet" in response.text and "<h2 id=\"new-section\">New section</h2>" in response.text
    assert "Fresh words." not in client.get("/resources/arachnoid-blebs").text


def test_saving_publishes_the_page_and_keeps_history(client, as_role, db, hub):
    admin = as_role("admin")
    response = edit(client, "arachnoid-blebs", title="Blebs explained", note="Shorter title")
    assert response.status_code == 302
    assert "<h1>Blebs explained</h1>" in client.get("/resources/arachnoid-blebs").text
    page = services.find_page("arachnoid-blebs")
    notes = [(r.note, r.author_id) for r in services.page_history(page)]
    assert notes[0] == ("Shorter title", admin.id)
    assert "Shorter title" in client.get("/admin/pages/arachnoid-blebs/history").text


def test_restoring_an_old_version_puts_it_back_as_a_new_version(client, as_role, db, hub):
    as_role("admin")
    original = services.find_page("arachnoid-blebs")
    first_revision, original_title = original.current_revision_id, original.title
    edit(client, "arachnoid-blebs", title="A worse title")
    url = f"/admin/pages/arachnoid-blebs/history/{first_revision}"
    response = submit(client, url, {})
    assert response.status_code == 302
    assert f"<h1>{original_title}</h1>" in client.get("/resources/arachnoid-blebs").text
    assert db.session.scalar(db.select(db.func.count(PageRevision.id)).where(
        PageRevision.page_id == original.id)) == 3


def test_an_edit_based_on_an_old_version_is_refused_and_the_text_kept(client, as_role, hub):
    as_role("admin")
    stale = services.find_page("arachnoid-blebs").current_revision_id
    edit(client, "arachnoid-blebs", title="Someone else's edit")
    response = edit(client, "arachnoid-blebs", title="My edit", body="My careful words.",
                    based_on_revision=str(stale))
    assert "Someone else saved this page after you opened it" in response.text
    assert "My careful words." in response.text
    assert "<h1>Someone else&#39;s edit</h1>" in client.get("/resources/arachnoid-blebs").text


def test_page_text_cannot_inject_html(client, as_role, hub):
    as_role("admin")
    edit(client, "arachnoid-blebs", body="<script>alert(1)</script>\n\n[x](javascript:alert(1))")
    text = client.get("/resources/arachnoid-blebs").text
    assert "<script>alert" not in text and 'href="javascript' not in text


@pytest.mark.parametrize("role", ["anonymous", "member", "moderator"])
def test_only_admins_can_edit_pages(client, as_role, hub, role):
    if role != "anonymous":
        as_role(role)
    response = client.get("/admin/pages/arachnoid-blebs")
    assert response.status_code == (302 if role == "anonymous" else 403)
