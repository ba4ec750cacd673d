"""Admins' member search: what they type is matched literally, and any page number answers a page."""

from community.membership import services
from tests.factories import make_user


def emails(query: str) -> list[str]:
    return [user.email for user in services.search_members(query, 1).items]


def test_search_matches_underscore_and_percent_literally(db):
    make_user("a_b@example.org")
    make_user("axb@example.org")
    make_user("100%sure@example.org")
    assert emails("a_b") == ["a_b@example.org"]
    assert emails("%") == ["100%sure@example.org"]
    assert emails("A_B@") == ["a_b@example.org"]


def test_admin_search_page_finds_only_the_literal_match(client, as_role):
    as_role("admin")
    make_user("a_b@example.org")
    make_user("axb@example.org")
    page = client.get("/admin/members?q=a_b").text
    assert "a_b@example.org" in page and "axb@example.org" not in page
    page = client.get("/admin/members?q=%25").text
    assert "a_b@example.org" not in page and "axb@example.org" not in page


def test_any_page_number_answers_a_page(client, as_role):
    admin = as_role("admin")
    for page in ("99999999999999999999", "-99999999999999999999", "0", "-3", "abc"):
        response = client.get(f"/admin/members?page={page}")
        assert response.status_code == 200, page
    # Zero or negative means the first page.
    assert admin.email in client.get("/admin/members?page=0").text
    assert admin.email in client.get("/admin/members?page=-3").text
