"""The number of SQL queries to render a page does not grow with what is on it."""

from datetime import timedelta

from community.cafe import schedule as cafe_schedule
from community.forums import services as forums
from community.pages import services as pages
from community.pages import site_settings
from community.stories import services as stories
from tests.cafe.test_cafe_pages import next_wednesday
from tests.factories import make_member, make_user
from tests.forums.forum_data import agreed_member, make_category
from tests.moderation.moderation_data import post_everything_at_once


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


# The pages issue 14 measures, with exact counts -----------------------------------------------------------------

def settled_queries(client, count_queries, url) -> int:
    """The queries of a page opened again: what every visit after the first costs, once this process's caches
    (the footer's charity details, the next café...) hold what the first visit read."""
    assert client.get(url).status_code == 200
    return queries_for(client, count_queries, url)


def _published_story(author, moderator, number: int, attribution: str = "name"):
    story = stories.save_story(author, title=f"Story {number}", body=f"What happened to me, part {number}.")
    stories.share(author, story, "public", attribution, consent_version=stories.CONSENT_VERSION)
    stories.approve(moderator, story)
    return story


def _members_story(author, number: int):
    story = stories.save_story(author, title=f"Members' story {number}", body="For members only.")
    stories.share(author, story, "members", "initials")
    return story


def test_the_story_list_costs_a_fixed_number_of_queries_however_many_stories(app, client, login, count_queries):
    moderator = make_user(role="moderator")
    for number in range(2):
        _published_story(make_member(), moderator, number)
    member = make_member()
    visitor = app.test_client()
    visitor.get("/stories")  # the footer's details, read once per process
    stories.forget_public_pages()
    few_public = queries_for(visitor, count_queries, "/stories")
    login(member)
    few_members = settled_queries(client, count_queries, "/stories")
    # A full page and more (20 a page), each story by a different author, named three ways.
    for number in range(2, 26):
        author = make_member(display_name=f"Author {number}")
        _published_story(author, moderator, number, ("name", "initials", "anonymous")[number % 3])
        _members_story(author, number)
    # The visitor: the page of approved stories with their authors, in one query; then none, while this process
    # keeps the public's first pages (the approvals above cleared its copy, so the first visit reads it afresh).
    assert queries_for(visitor, count_queries, "/stories") == few_public == 1
    assert queries_for(visitor, count_queries, "/stories") == 0
    assert queries_for(visitor, count_queries, "/stories?page=2") == 1
    assert queries_for(visitor, count_queries, "/stories?page=2") == 0
    # A member: their session (with account and membership), then the page.
    assert settled_queries(client, count_queries, "/stories") == few_members == 2
    assert settled_queries(client, count_queries, "/stories?page=3") == 2


def test_a_thread_of_fifty_posts_costs_a_fixed_number_of_queries(client, login, count_queries, db):
    post_everything_at_once()  # newcomers' first posts go up without a moderator, as in tests/forums
    writers = [make_member(display_name=f"Writer {number}") for number in range(5)]
    first = forums.create_thread(writers[0], make_category(), "Fifty posts", "The first post.")
    thread = forums.get_thread(writers[0], first.thread_id)
    for number in range(49):
        post = forums.create_post(writers[(number + 1) % 5], thread, f"Reply {number}.")
        if number % 4 == 0:
            forums.toggle_reaction(writers[number % 5], forums.get_post(writers[number % 5], post.id), "support")
    login(agreed_member())
    url = f"/forums/t/{first.thread_id}"
    # The session (with account and membership); the thread with its category, the reader's read mark, their
    # watch on it and the guidelines agreed; the page's posts with their authors, the reader's bookmarks and how
    # far they read; the reactions on them. The same on every page.
    counts = [settled_queries(client, count_queries, f"{url}?page={page}") for page in (1, 2, 3)]
    assert counts == [4, 4, 4]


def test_the_account_page_costs_one_query(client, login, count_queries):
    login(make_member())
    # One query loads the session, the account and its membership; the page needs nothing else.
    assert settled_queries(client, count_queries, "/account") == 1
    assert settled_queries(client, count_queries, "/") == 1


def test_the_cafe_page_costs_a_fixed_number_of_queries_for_everyone(app, client, login, count_queries):
    admin = make_user(role="admin")
    visitor = app.test_client()
    login(make_member())
    few = settled_queries(visitor, count_queries, "/cafe"), settled_queries(client, count_queries, "/cafe")
    wednesday = next_wednesday()
    for week in range(3):
        cafe_schedule.cancel(admin, (wednesday + timedelta(days=7 * week)).isoformat(), "Away")
        cafe_schedule.add_extra(admin, (wednesday + timedelta(days=7 * week + 1)).isoformat(), "14:00", "15:00",
                                "Extra")
    for days_ago in (7, 14, 21):
        past = cafe_schedule.session_for(cafe_schedule.regular_cafe(wednesday - timedelta(days=days_ago)))
        cafe_schedule.write_summary(admin, past, "We talked about **rest**.")
    assert (settled_queries(visitor, count_queries, "/cafe"), settled_queries(client, count_queries, "/cafe")) == few
    # The coming cafés are kept by the process (no query for a visitor); a member's page adds their session, their
    # reminder choice and the latest hosts' summaries.
    assert few == (0, 3)


def test_the_cafe_room_costs_a_fixed_number_of_queries_however_busy(client, login, count_queries):
    from community.cafe import services as cafe
    from tests.cafe.test_room_pages import open_room_now

    session = open_room_now()
    writers = [make_member(display_name=f"Writer {number}") for number in range(4)]
    first = cafe.send(writers[0], session, "Hello, room", token="tok-count-000")
    cafe.send(writers[1], session, "Hello back", token="tok-count-001", reply_to=first.message["id"])
    login(make_member())
    few = settled_queries(client, count_queries, "/cafe/room")
    for number in range(2, 14):
        sent = cafe.send(writers[number % 4], session, f"Message {number}", token=f"tok-count-{number:03}",
                         reply_to=first.message["id"] if number % 2 else None)
        cafe.react(writers[(number + 1) % 4], session, sent.message["id"], "hug")
    # Their session; the reader's mute or removal; who is here; the messages with their authors, reactions and the
    # messages they reply to. (Which café is open is kept by the process; its row, read by id, is one more in a
    # server, but here the test's database session holds it already.)
    assert settled_queries(client, count_queries, "/cafe/room") == few == 4
