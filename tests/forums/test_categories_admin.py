"""Admins make, rename, describe and order the forum categories, and may keep one for moderators; every change is
in the audit log."""

from community.forums import services as forums
from community.forums.models import Category
from community.moderation.models import AuditEntry
from tests.conftest import submit
from tests.factories import make_member, make_user


def _categories(db):
    return list(db.session.scalars(db.select(Category).order_by(Category.position)))


def test_an_admin_adds_a_category(client, as_role, db):
    as_role("admin")
    assert "Forum categories" in client.get("/admin/forums").text
    response = submit(client, "/admin/forums/new", {"name": "Treatments and blood patches",
                                                     "description": "Patches, fibrin glue and surgery."})
    assert response.status_code == 302 and response.location == "/admin/forums"
    category = db.session.scalar(db.select(Category))
    assert (category.slug, category.moderators_only) == ("treatments-and-blood-patches", False)
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.target_type == "forum_category"))
    assert entry.action == "forum.category_created" and entry.target_id == category.id
    page = client.get("/admin/forums").text
    assert "Treatments and blood patches" in page and "/forums/treatments-and-blood-patches" in page


def test_the_admin_hub_links_to_the_categories(client, as_role):
    as_role("admin")
    assert 'href="/admin/forums"' in client.get("/admin").text


def test_a_name_is_needed_and_must_be_new(client, as_role, db):
    admin = as_role("admin")
    forums.create_category(admin, "Introductions")
    empty = submit(client, "/admin/forums/new", {"name": "", "description": "Words I typed"})
    assert empty.status_code == 400 and "Enter a name for the category" in empty.text
    assert "Words I typed</textarea>" in empty.text
    same = submit(client, "/admin/forums/new", {"name": "introductions"})
    assert same.status_code == 400 and "There is already a category called “Introductions”" in same.text
    assert len(_categories(db)) == 1


def test_an_admin_renames_a_category_and_its_address_stays(client, as_role, db):
    admin = as_role("admin")
    category = forums.create_category(admin, "Intros")
    response = submit(client, f"/admin/forums/{category.id}", {"name": "Introductions", "description": "Say hello.",
                                                               "moderators_only": "y"})
    assert response.status_code == 302
    category = db.session.get(Category, category.id)
    assert (category.name, category.slug, category.moderators_only) == ("Introductions", "intros", True)
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "forum.category_edited"))
    assert "name “Intros” to “Introductions”" in entry.detail and "moderators only" in entry.detail
    # Saving again unchanged records nothing.
    submit(client, f"/admin/forums/{category.id}", {"name": "Introductions", "description": "Say hello.",
                                                    "moderators_only": "y"})
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).where(
        AuditEntry.action == "forum.category_edited")) == 1


def test_an_admin_reorders_categories(client, as_role, db):
    admin = as_role("admin")
    for name in ("First", "Second", "Third"):
        forums.create_category(admin, name)
    third = db.session.scalar(db.select(Category).where(Category.name == "Third"))
    response = submit(client, f"/admin/forums/{third.id}/move-up", {}, page="/admin/forums")
    assert response.status_code == 302 and response.location == f"/admin/forums#category-{third.id}"
    assert [category.name for category in _categories(db)] == ["First", "Third", "Second"]
    first = _categories(db)[0]
    submit(client, f"/admin/forums/{first.id}/move-up", {}, page="/admin/forums")
    assert [category.name for category in _categories(db)] == ["First", "Third", "Second"]
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).where(
        AuditEntry.action == "forum.category_moved")) == 1
    # Members see them in that order.
    member = make_member()
    assert [category.name for category in forums.visible_categories(member)] == ["First", "Third", "Second"]


def test_only_admins_manage_categories(client, login, db):
    admin = make_user(role="admin", two_factor_on=False)
    category = forums.create_category(admin, "Introductions")
    login(make_user(role="moderator"))
    for url in ("/admin/forums", "/admin/forums/new", f"/admin/forums/{category.id}"):
        assert client.get(url).status_code == 403
    assert client.get("/admin/forums/9999").status_code == 403
