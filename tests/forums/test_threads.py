"""Categories, threads and their pages: who sees which category, listing order, paging and counters."""

import pytest

from community.forums import services as forums
from community.forums.models import Category, Thread
from community.pages import services as pages
from tests.factories import make_member, make_user
from tests.forums.forum_data import agreed_member, make_category, make_thread


def test_forums_are_for_members_only(client, login, db):
    category = make_category()
    thread = make_thread(make_member(), category).thread
    for url in ("/forums", f"/forums/{category.slug}", f"/forums/t/{thread.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/membership" in response.location
    login(make_user())
    assert "/membership" in client.get("/forums").location


def test_the_forums_list_shows_categories_with_counts_and_last_activity(client, login, db):
    category = make_category("Introductions")
    make_thread(make_member(), category, replies=2)
    login(make_member())
    page = client.get("/forums").text
    assert "Introductions" in page and "1 thread, 3 posts" in page and "last post" in page
    assert 'href="/forums"' in page and "aria-current" in page


def test_a_moderators_only_category_is_hidden_from_members(client, login, db):
    room = make_category("Moderators' room", moderators_only=True)
    moderator = make_user(role="moderator", two_factor_on=False)
    thread = make_thread(moderator, room).thread
    login(make_member())
    assert "Moderators&#39; room" not in client.get("/forums").text
    assert client.get(f"/forums/{room.slug}").status_code == 404
    assert client.get(f"/forums/t/{thread.id}").status_code == 404
    assert client.get(f"/forums/{room.slug}/new").status_code == 404


def test_moderators_see_the_moderators_only_category(app, client, login, db):
    room = make_category("Moderators' room", moderators_only=True)
    moderator = make_user(role="moderator", two_factor_on=False)
    app.config["DEMO_MODE"] = False
    login(moderator)
    assert "Moderators&#39; room" in client.get("/forums").text
    assert client.get(f"/forums/{room.slug}").status_code == 200


def test_threads_list_pinned_first_then_by_last_activity(client, login, db):
    category = make_category()
    author = make_member()
    older = make_thread(author, category, "Older thread").thread
    make_thread(author, category, "Newer thread")
    pinned = make_thread(author, category, "Read this first").thread
    forums.set_thread_pinned(make_user(role="moderator", two_factor_on=False), pinned, True)
    # A reply brings the older thread back to the top of the unpinned ones.
    forums.create_post(author, forums.get_thread(author, older.id), "Still here.")
    login(make_member())
    page = client.get(f"/forums/{category.slug}").text
    assert page.index("Read this first") < page.index("Older thread") < page.index("Newer thread")
    assert "Pinned" in page


def test_the_category_page_shows_replies_and_the_last_poster(client, login, db):
    category = make_category()
    sam = make_member(display_name="Sam")
    priya = make_member(display_name="Priya")
    make_thread(sam, category, "Blood patch tomorrow", replies=2, reply_author=priya)
    login(make_member())
    page = client.get(f"/forums/{category.slug}").text
    assert "2 replies" in page and "last post by Priya" in page


def test_a_category_lists_30_threads_a_page(client, login, db):
    category = make_category()
    author = make_member()
    for number in range(31):
        make_thread(author, category, f"Thread {number:02d}")
    login(make_member())
    first = client.get(f"/forums/{category.slug}").text
    assert first.count('<li>\n    <h2>') == 30 and "Page 1 of 2" in first and "Thread 00" not in first
    second = client.get(f"/forums/{category.slug}?page=2").text
    assert "Thread 00" in second
    assert client.get(f"/forums/{category.slug}?page=3").status_code == 404


def test_a_thread_shows_20_posts_a_page(client, login, db):
    category = make_category()
    first = make_thread(make_member(), category, replies=24)
    login(make_member())
    page_one = client.get(f"/forums/t/{first.thread_id}").text
    assert page_one.count('<article aria-labelledby') == 20 and "Page 1 of 2" in page_one
    page_two = client.get(f"/forums/t/{first.thread_id}?page=2").text
    assert page_two.count('<article aria-labelledby') == 5 and 'id="post-25"' in page_two
    assert client.get(f"/forums/t/{first.thread_id}?page=9").status_code == 404


def test_one_h1_and_each_post_an_article_named_by_its_author(client, login, db):
    category = make_category()
    first = make_thread(make_member(display_name="Sam"), category, "My story", "# A heading\n\n## Another\n\nWords.")
    login(agreed_member())
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert page.count("<h1") == 1
    assert '<article aria-labelledby="post-1">\n<h2 id="post-1">Sam</h2>' in page
    # Headings typed in a post sit under the post's own heading.
    assert "<h3>A heading</h3>" in page and "<h2>Another" not in page


def test_counters_are_kept_when_posting(db):
    category = make_category()
    author = make_member()
    first = make_thread(author, category, replies=3)
    thread = db.session.get(Thread, first.thread_id)
    assert (thread.last_number, thread.reply_count, thread.last_visible_number) == (4, 3, 4)
    category = db.session.get(Category, category.id)
    assert (category.thread_count, category.post_count) == (1, 4)
    assert category.last_post_at == thread.last_post_at


def test_category_slugs_are_unique_and_keep_clear_of_the_forums_own_addresses(db):
    admin = make_user(role="admin", two_factor_on=False)
    first = forums.create_category(admin, "Living with a leak")
    with pytest.raises(forums.ForumError):
        forums.create_category(admin, "living with a LEAK")
    assert first.slug == "living-with-a-leak"
    assert forums.create_category(admin, "T").slug == "t-2"
    assert forums.create_category(admin, "Living with a leak!").slug == "living-with-a-leak-2"


def test_a_guest_link_to_a_thread_of_a_hidden_category_is_a_404_for_members(client, login, db):
    pages.seed_pages()
    login(make_member())
    assert client.get("/forums/t/999").status_code == 404
    assert client.get("/forums/no-such-category").status_code == 404


def test_the_demo_seed_makes_the_forums_once(app, runner, client, db):
    from community.forums.models import Post, Reaction

    app.config["DEMO_MODE"] = True
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    counts = (db.session.scalar(db.select(db.func.count(Category.id))),
              db.session.scalar(db.select(db.func.count(Thread.id))),
              db.session.scalar(db.select(db.func.count(Post.id))),
              db.session.scalar(db.select(db.func.count()).select_from(Reaction)))
    assert counts[0] == 4 and counts[1] >= 6 and counts[2] > counts[1] and counts[3] > 0
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert (db.session.scalar(db.select(db.func.count(Category.id))),
            db.session.scalar(db.select(db.func.count(Thread.id))),
            db.session.scalar(db.select(db.func.count(Post.id))),
            db.session.scalar(db.select(db.func.count()).select_from(Reaction))) == counts
    room = db.session.scalar(db.select(Category).where(Category.moderators_only.is_(True)))
    assert room.name == "Moderators' room"
    from tests.conftest import submit

    submit(client, "/login", {"email": "member@demo.test", "password": "leaky-cafe-demo"})
    forums_page = client.get("/forums").text
    assert "Introductions" in forums_page and "Moderators&#39; room" not in forums_page
    welcome = db.session.scalar(db.select(Thread).where(Thread.title == "Welcome – start here"))
    assert welcome.pinned
    assert "Content note: low mood. Open to read" in client.get(
        f"/forums/t/{db.session.scalar(db.select(Thread.id).where(Thread.title == 'A harder week'))}").text
