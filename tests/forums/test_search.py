"""Forum search: finds posts by their words on SQLite (FTS5) and PostgreSQL (tsvector), only among the posts
the reader may see, with the matching words highlighted safely, whatever is typed in the box."""

import pytest

from community.extensions import db
from community.forums import search, services
from community.forums.models import Post
from community.forums.search import clean_query, fts5_query, safe_snippet, search_posts
from tests.core.test_migrations import MIGRATIONS, empty_database_url  # noqa: F401  (a fixture)
from tests.factories import make_member, make_user


@pytest.fixture
def forum(app):
    """An admin, a moderator, two members, an open category and a moderators-only one."""
    admin = make_user("admin@example.org", role="admin", display_name="Ada Admin")
    people = {
        "admin": admin,
        "moderator": make_user("moderator@example.org", role="moderator", display_name="Mo Moderator"),
        "member": make_member("member@example.org", display_name="Mel Member"),
        "other": make_member("other@example.org", display_name="Otto Other"),
    }
    people["open"] = services.create_category(admin, "Living with a leak", "Day to day")
    people["staff"] = services.create_category(admin, "Moderators' room", "Staff only", moderators_only=True)
    return people


def thread_with(author, category, body, title="A thread"):
    return services.create_thread(author, category, title, body)


def reply(author, first_post, body):
    return services.create_post(author, first_post.thread, body)


def set_state(post, state):
    """Moderation's own actions are not built yet: put the post in that state directly."""
    post.state = state
    db.session.commit()


def bodies(page):
    return [db.session.get(Post, result.post_id).body for result in page.results]


# Finding ---------------------------------------------------------------------------------------------------------

def test_sqlite_has_fts5_compiled_in():
    """The embedded default's search needs FTS5 in this Python's SQLite (whichever database a test run uses)."""
    import sqlite3

    with sqlite3.connect(":memory:") as connection:
        options = {row[0] for row in connection.execute("pragma compile_options")}
    assert "ENABLE_FTS5" in options


def test_finds_a_post_by_a_word_in_its_body(forum):
    thread_with(forum["member"], forum["open"], "The blood patch helped with my headache.", "After the patch")
    thread_with(forum["member"], forum["open"], "Nothing to do with it.", "Other")
    page = search_posts(forum["other"], "headache", 1)
    assert page.total == 1 and len(page.results) == 1
    result = page.results[0]
    assert result.thread_title == "After the patch"
    assert result.category_name == "Living with a leak"
    assert result.author_name == "Mel Member"
    assert result.post_number == 1 and result.thread_page == 1
    assert result.created_at is not None


def test_finds_other_forms_of_a_word(forum):
    thread_with(forum["member"], forum["open"], "Those headaches came back when standing.")
    assert bodies(search_posts(forum["other"], "headache", 1)) == ["Those headaches came back when standing."]


def test_finds_replies_and_edited_words_and_forgets_removed_ones(forum):
    first = thread_with(forum["member"], forum["open"], "Starting words.")
    second = reply(forum["other"], first, "A reply about caffeine.")
    assert [r.post_id for r in search_posts(forum["member"], "caffeine", 1).results] == [second.id]
    services.edit_post(forum["other"], second, "A reply about hydration instead.")
    assert search_posts(forum["member"], "caffeine", 1).total == 0
    assert [r.post_id for r in search_posts(forum["member"], "hydration", 1).results] == [second.id]


def test_all_words_must_match_and_the_best_match_comes_first(forum):
    thread_with(forum["member"], forum["open"], "Lying flat helps. Lying flat helps a lot. Flat is good.")
    thread_with(forum["member"], forum["open"], "Lying down on the sofa.")
    thread_with(forum["member"], forum["open"], "Flat on my back, lying still.")
    page = search_posts(forum["other"], "lying flat", 1)
    assert page.total == 2
    assert bodies(page)[0].startswith("Lying flat helps.")


def test_quoted_words_are_a_phrase_and_minus_leaves_a_word_out(forum):
    thread_with(forum["member"], forum["open"], "The blood patch worked.")
    thread_with(forum["member"], forum["open"], "A patch of blood on the pillow.")
    assert bodies(search_posts(forum["other"], '"blood patch"', 1)) == ["The blood patch worked."]
    assert bodies(search_posts(forum["other"], "patch -pillow", 1)) == ["The blood patch worked."]


def test_or_finds_either_word(forum):
    thread_with(forum["member"], forum["open"], "Tinnitus all day.")
    thread_with(forum["member"], forum["open"], "Dizziness in the morning.")
    thread_with(forum["member"], forum["open"], "Nothing else.")
    assert search_posts(forum["other"], "tinnitus or dizziness", 1).total == 2


def test_the_link_opens_the_page_of_the_thread_the_post_is_on(forum, client, login):
    first = thread_with(forum["member"], forum["open"], "Post one.")
    for n in range(2, 25):
        reply(forum["member"], first, f"Post {n}." + (" The word marmalade." if n == 23 else ""))
    result = search_posts(forum["other"], "marmalade", 1).results[0]
    assert (result.post_number, result.thread_page) == (23, 2)
    login(forum["other"])
    html = client.get("/search?q=marmalade").text
    assert f'href="/forums/t/{first.thread_id}?page=2#post-23"' in html
    assert 'id="post-23"' in client.get(f"/forums/t/{first.thread_id}?page=2").text


# Who sees what ---------------------------------------------------------------------------------------------------

def test_members_never_find_posts_in_moderators_only_categories(forum):
    thread_with(forum["moderator"], forum["staff"], "A private note about vertigo.")
    thread_with(forum["member"], forum["open"], "My vertigo is better.")
    assert bodies(search_posts(forum["member"], "vertigo", 1)) == ["My vertigo is better."]
    assert search_posts(forum["moderator"], "vertigo", 1).total == 2
    assert search_posts(forum["admin"], "vertigo", 1).total == 2


def test_hidden_deleted_and_others_pending_posts_are_not_found_by_members(forum):
    first = thread_with(forum["other"], forum["open"], "Fatigue is visible here.")
    hidden = reply(forum["other"], first, "Fatigue hidden by a moderator.")
    set_state(hidden, "hidden")
    deleted = reply(forum["other"], first, "Fatigue deleted by its author.")
    services.delete_post(forum["other"], deleted)
    others_pending = reply(forum["other"], first, "Fatigue held for review, by someone else.")
    set_state(others_pending, "pending")
    mine_pending = reply(forum["member"], first, "Fatigue held for review, mine.")
    set_state(mine_pending, "pending")
    mine_pending_deleted = reply(forum["member"], first, "Fatigue held, then deleted by me.")
    set_state(mine_pending_deleted, "pending")
    services.delete_post(forum["member"], mine_pending_deleted)

    assert sorted(bodies(search_posts(forum["member"], "fatigue", 1))) == [
        "Fatigue held for review, mine.", "Fatigue is visible here."]
    moderator_sees = sorted(bodies(search_posts(forum["moderator"], "fatigue", 1)))
    assert moderator_sees == ["Fatigue held for review, by someone else.", "Fatigue held for review, mine.",
                              "Fatigue hidden by a moderator.", "Fatigue is visible here."]


def test_people_without_membership_find_nothing(forum):
    thread_with(forum["member"], forum["open"], "Posture matters.")
    assert search_posts(make_user("lapsed@example.org"), "posture", 1).total == 0


def test_the_search_page_is_for_members_only(forum, client, login):
    assert client.get("/search?q=x").status_code == 302
    login(make_user("registered@example.org"))
    answer = client.get("/search?q=x")
    assert answer.status_code == 302 and answer.location.startswith("/membership")


# Highlighting, safely --------------------------------------------------------------------------------------------

def test_the_matching_words_are_highlighted(forum, client, login):
    thread_with(forum["member"], forum["open"], "Some **caffeine** in the morning helps me.")
    result = search_posts(forum["other"], "caffeine", 1).results[0]
    assert "<mark>caffeine</mark>" in result.snippet
    login(forum["other"])
    html = client.get("/search?q=caffeine").text
    assert "<mark>caffeine</mark>" in html and "1 post matches “caffeine”" in html


def test_the_snippet_escapes_whatever_the_post_says(forum):
    thread_with(forum["member"], forum["open"],
                'Migraine <script>alert(1)</script> <img src=x onerror=alert(1)> </mark><mark>fake "quotes" & more')
    snippet = search_posts(forum["other"], "migraine", 1).results[0].snippet
    assert "<script" not in snippet and "<img" not in snippet
    assert "&lt;script&gt;" in snippet or "script" not in snippet
    assert snippet.count("<mark>") == snippet.count("</mark>") >= 1
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_safe_snippet_only_adds_balanced_marks_of_its_own():
    assert safe_snippet("a \x02b\x03 <c> & \x03d\x02\x02e") == "a <mark>b</mark> &lt;c&gt; &amp; d<mark>e</mark>"
    assert safe_snippet(None) == ""


# Anything typed --------------------------------------------------------------------------------------------------

ODD_QUERIES = ['"', '""', "AND", "OR", "NOT", "*", "-", "--", "-x", "NEAR(", "NEAR(a b", "a NEAR b", "(", ")", "^a",
               "body:x", "col:", "a:b", "'", "\\", "%", "_", "&|!", "<->", ":*", "x:*", "😀", "🩸 blood",
               "caf\u00e9", "\u0000", "\u200b", "a\u0000b", "\ud7ff", "OR OR", "-blood", '"unclosed phrase',
               "x" * 500, "word " * 100, "\n\t", "%s %(x)s {0}", "'; DROP TABLE post; --"]


@pytest.mark.parametrize("query", ODD_QUERIES, ids=range(len(ODD_QUERIES)))
def test_odd_input_never_errors(forum, query):
    thread_with(forum["member"], forum["open"], "A blood patch and some x words.")
    page = search_posts(forum["other"], query, 1)
    assert page.total >= 0 and len(page.query) <= search.MAX_QUERY_LENGTH


def test_odd_input_through_the_page(forum, client, login):
    thread_with(forum["member"], forum["open"], "A blood patch.")
    login(forum["other"])
    for query in ['"', "AND", "*", "-", "NEAR(", "😀", "x" * 500, "\u0000", "<script>alert(1)</script>"]:
        answer = client.get("/search", query_string={"q": query})
        assert answer.status_code == 200, query
        assert "<script>alert" not in answer.text


def test_an_empty_search_asks_kindly(forum, client, login):
    login(forum["other"])
    for path in ("/search", "/search?q=", "/search?q=%20%20"):
        html = client.get(path).text
        assert "Type what you are looking for" in html and "No posts match" not in html
        assert '<label class="label" for="q">Search the forums</label>' in html


def test_no_match_says_so(forum, client, login):
    login(forum["other"])
    html = client.get("/search?q=zebra").text
    assert "No posts match “zebra”" in html


def test_a_very_long_search_is_cut_to_200_characters(forum, client, login):
    assert clean_query("x" * 500) == "x" * 200
    assert len(clean_query("word " * 100)) == 199  # cut at 200, then the trailing space
    login(forum["other"])
    html = client.get("/search", query_string={"q": "blood " * 60}).text
    assert "we used its first 200 characters" in html


def test_fts5_query_quotes_every_word():
    assert fts5_query('NEAR(a b) "x y" -z or c*') == '(("NEAR(a" AND "b)" AND "x y") NOT ("z")) OR ("c*")'
    assert fts5_query('say "hi') == '("say" AND """hi")'
    assert fts5_query("-only") == "" and fts5_query("* - 😀") == ""


# Paging and query counts -----------------------------------------------------------------------------------------

def test_results_come_twenty_a_page(forum, client, login):
    first = thread_with(forum["member"], forum["open"], "Pacing number 0.")
    for n in range(1, 45):
        reply(forum["member"], first, f"Pacing number {n}.")
    pages = [search_posts(forum["other"], "pacing", n) for n in (1, 2, 3, 4)]
    assert [len(page.results) for page in pages] == [20, 20, 5, 0]
    assert pages[0].total == 45 and pages[0].pages == 3 and pages[0].has_next and not pages[2].has_next
    seen = [r.post_id for page in pages for r in page.results]
    assert len(set(seen)) == 45
    login(forum["other"])
    html = client.get("/search?q=pacing&page=2").text
    assert 'href="/search?page=3&amp;q=pacing"' in html and "Page 2 of 3" in html


def test_the_number_of_queries_does_not_grow_with_the_results(forum, count_queries):
    def search_with(word, how_many):
        first = thread_with(forum["member"], forum["open"], f"{word} 0.", title=word)
        for n in range(1, how_many):
            reply(forum["other"] if n % 2 else forum["member"], first, f"{word} {n}.")
        db.session.expire_all()
        with count_queries() as queries:
            page = search_posts(forum["member"], word, 1)
            # What the page shows, read as the template does.
            [(r.thread_title, r.category_name, r.author_name, r.snippet) for r in page.results]
        return len(page.results), len(queries)

    few, few_queries = search_with("rhubarb", 3)
    many, many_queries = search_with("custard", 30)
    assert (few, many) == (3, 20)
    # The reader (expired above, so loaded again), the count, and the page of results with all it shows.
    assert few_queries == many_queries == 3


def test_the_search_page_costs_the_same_queries_for_3_or_30_results(forum, client, login, count_queries):
    login(forum["other"])
    counts = {}
    for word, how_many in (("rhubarb", 3), ("custard", 30)):
        first = thread_with(forum["member"], forum["open"], f"{word} 0.", title=word)
        for n in range(1, how_many):
            reply(forum["member"], first, f"{word} {n}.")
        client.get(f"/search?q={word}")  # warm up
        with count_queries() as queries:
            assert client.get(f"/search?q={word}").status_code == 200
        counts[word] = len(queries)
    assert counts["rhubarb"] == counts["custard"]


# Schema ----------------------------------------------------------------------------------------------------------

def test_the_index_is_made_with_the_tables_and_left_out_of_alembics_comparison(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        names = set(db.inspect(connection).get_table_names())
        columns = {column["name"] for column in db.inspect(connection).get_columns("post")}
        if db.engine.dialect.name == "sqlite":
            assert "post_fts" in names
        else:
            assert "search_vector" in columns
        context = MigrationContext.configure(connection, opts={"include_name": search.include_name})
        assert compare_metadata(context, db.metadata) == []


def test_search_works_on_a_database_built_by_the_migrations(empty_database_url, tmp_path):  # noqa: F811
    from tests.conftest import make_test_app

    app = make_test_app(empty_database_url, tmp_path)
    result = app.test_cli_runner().invoke(args=["db", "upgrade", "--directory", MIGRATIONS])
    assert result.exit_code == 0, result.output
    with app.app_context():
        try:
            admin = make_user("admin@example.org", role="admin")
            member = make_member("member@example.org")
            category = services.create_category(admin, "General")
            first = thread_with(member, category, "Written after the upgrade about insomnia.")
            services.edit_post(member, first, "Edited to talk about vertigo.")
            assert search_posts(member, "insomnia", 1).total == 0
            assert [r.post_id for r in search_posts(member, "vertigo", 1).results] == [first.id]
        finally:
            db.session.remove()
            db.engine.dispose()
