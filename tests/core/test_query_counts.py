"""The number of SQL queries to render a page does not grow with what is on it."""

from community.cafe import schedule as cafe_schedule
from community.pages import services as pages
from community.pages import site_settings
from tests.factories import make_member, make_user


def queries_for(client, count_queries, url):
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_hub_pages_cost_a_fixed_number_of_queries(app, client, count_queries, db):
    pages.seed_pages()
    # The footer's charity details are read once per process and cached (a minute, here an hour so a slow run
    # cannot expire them mid-test): filled first, so only the page's own query is counted.
    app.config["SITE_SETTINGS_CACHE_SECONDS"] = 3600
    site_settings.clear_cache()
    site_settings.charity()
    # Likewise the next café named on the home page (kept a minute per process).
    cafe_schedule.next_cafe_cached()
    # The list of guides is kept too (a minute per process): the home page reads it once, then asks nothing.
    assert queries_for(client, count_queries, "/") == 1
    assert queries_for(client, count_queries, "/") == 0
    assert queries_for(client, count_queries, "/resources") == 0
    assert queries_for(client, count_queries, "/resources/navigating-healthcare") == 1
    # So are the pages themselves, once read.
    assert queries_for(client, count_queries, "/resources/navigating-healthcare") == 0
    assert queries_for(client, count_queries, "/about") == 1
    assert queries_for(client, count_queries, "/about") == 0


def test_a_signed_in_member_costs_one_query_for_their_account_and_membership(client, login, count_queries):
    login(make_member())
    # One query loads the user with their membership (joined), whatever the page.
    assert queries_for(client, count_queries, "/lounge") == 1
    # The membership page also reads their Gift Aid declaration.
    assert queries_for(client, count_queries, "/membership") == 2


def test_member_list_does_not_grow_with_members(client, as_role, count_queries):
    as_role("admin")
    make_member()
    few = queries_for(client, count_queries, "/admin/members")
    for _ in range(12):
        make_member()
    assert queries_for(client, count_queries, "/admin/members") == few


def test_page_history_does_not_grow_with_versions(client, as_role, count_queries, db):
    admin = as_role("admin")
    pages.seed_pages()
    page = pages.find_page("arachnoid-blebs")
    few = queries_for(client, count_queries, "/admin/pages/arachnoid-blebs/history")
    for number in range(8):
        pages.save_page(admin, page, page.title, page.summary, page.body + f"\nEdit {number}.", "", None)
    assert queries_for(client, count_queries, "/admin/pages/arachnoid-blebs/history") == few


def test_member_screen_does_not_grow_with_history(client, as_role, count_queries):
    from community.membership import services

    admin = as_role("admin")
    person = make_user()
    services.grant_complimentary(admin, person, None, "hardship")
    few = queries_for(client, count_queries, f"/admin/members/{person.id}")
    for _ in range(5):
        services.revoke_complimentary(admin, person, "test")
        services.grant_complimentary(admin, person, None, "again")
    assert queries_for(client, count_queries, f"/admin/members/{person.id}") == few
