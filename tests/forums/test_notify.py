"""Who is told about a new forum post: mentioned, quoted and watching members who may see it, once each, never
the author, never about a held post; watching, bookmarks and a member's own lists."""

import pytest
from sqlalchemy import select

from community.accounts.models import User
from community.extensions import db
from community.forums import notify
from community.forums.models import Bookmark, Watch
from community.moderation.services import Review
from community.notifications.models import Notification
from tests.conftest import submit
from tests.factories import make_user
from tests.notifications.helpers import make_category, member, reply, start_thread, watches


def bookmarked_by(person) -> list[int]:
    return list(db.session.scalars(select(Bookmark.post_id).where(Bookmark.user_id == person.id)))


def notifications_of(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def unread_count(user) -> int:
    return db.session.scalar(select(User.unread_notifications).where(User.id == user.id))


@pytest.fixture
def category(app):
    return make_category()


# Mentions ---------------------------------------------------------------------------------------------------

def test_a_mention_by_display_name_with_spaces_tells_that_member(category):
    sam, jo = member("Sam"), member("Jo Anne Smith")
    post = start_thread(sam, category, body="Thank you @jo anne smith, that helped.")
    [note] = notifications_of(jo)
    assert note.kind == "mention"
    assert note.text == "Sam mentioned you in “Blood patches”"
    assert note.url == f"/forums/p/{post.id}"
    assert note.actor_id == sam.id
    assert unread_count(jo) == 1


def test_the_longest_display_name_the_text_continues_with_wins(category):
    writer, sam, sam_jones = member("Writer"), member("Sam"), member("Sam Jones")
    start_thread(writer, category, body="@Sam Jones said it first. Then @Sam, at the end too: @sam.")
    assert [n.kind for n in notifications_of(sam_jones)] == ["mention"]
    assert [n.kind for n in notifications_of(sam)] == ["mention"]


def test_a_name_must_end_where_a_word_ends(category):
    writer, sam = member("Writer"), member("Sam")
    start_thread(writer, category, body="Hello @Samantha and @Samuel.")
    assert notifications_of(sam) == []


def test_email_addresses_code_and_quoted_words_mention_nobody(category):
    writer, sam, jo, kim = member("Writer"), member("Sam"), member("Jo"), member("Kim")
    start_thread(writer, category, body="Write to help@Sam.org\n\n`@Sam` in code\n\n```\n@Jo\n```\n\n"
                                         "> **Kim** wrote:\n> ask @Jo\n\nThanks.")
    assert notifications_of(sam) == notifications_of(jo) == notifications_of(kim) == []


def test_mentioning_an_unknown_name_or_nobody_is_harmless(category, count_queries):
    writer = member("Writer")
    start_thread(writer, category, body="Hello @nobody_here 100% @% @_ and @")
    assert db.session.scalar(select(db.func.count()).select_from(Notification)) == 0


def test_the_author_is_never_told_about_their_own_post(category):
    sam = member("Sam")
    first = start_thread(sam, category, body="Me, @Sam, again.")
    reply(sam, first.thread, "Quoting myself, @sam", quoted_post=first)
    assert notifications_of(sam) == []


# Quotes and watching ----------------------------------------------------------------------------------------

def test_quoting_a_post_tells_its_author(category):
    jo, sam = member("Jo"), member("Sam")
    first = start_thread(jo, category)
    db.session.execute(Watch.__table__.delete())  # only the quote should tell Jo, not her watch
    db.session.commit()
    reply(sam, first.thread, "> **Jo** wrote:\n> How did yours go?\n\nWell, thanks.", quoted_post=first)
    [note] = notifications_of(jo)
    assert (note.kind, note.text) == ("quote", "Sam quoted your post in “Blood patches”")


def test_starting_or_replying_watches_the_thread_and_watchers_hear_of_replies(category):
    jo, sam, kim = member("Jo"), member("Sam"), member("Kim")
    first = start_thread(jo, category)
    reply(sam, first.thread, "Mine went well.")
    assert [(n.kind, n.text) for n in notifications_of(jo)] == [("reply", "Sam replied in “Blood patches”")]
    reply(kim, first.thread, "Same here.")
    assert [n.text for n in notifications_of(sam)] == ["Kim replied in “Blood patches”"]
    assert len(notifications_of(jo)) == 2
    assert notifications_of(kim) == []


def test_watchers_of_a_category_hear_of_new_threads_only(category):
    jo, sam = member("Jo"), member("Sam")
    notify.watch_category(jo, category)
    first = start_thread(sam, category, title="Lying flat")
    [note] = notifications_of(jo)
    assert (note.kind, note.text) == ("thread", "Sam started “Lying flat” in Living with a leak")
    # A reply by someone else in that thread is not news to a category watcher (only to thread watchers).
    reply(member("Kim"), first.thread, "Yes")
    assert len(notifications_of(jo)) == 1


def test_one_notification_per_person_per_post_the_strongest_reason(category):
    jo, sam = member("Jo"), member("Sam")
    first = start_thread(jo, category)  # Jo watches her thread
    reply(sam, first.thread, "> **Jo** wrote:\n> How did yours go?\n\nGood, @Jo.", quoted_post=first)
    [note] = notifications_of(jo)
    assert note.kind == "mention"
    assert unread_count(jo) == 1
    second = reply(sam, first.thread, "> **Jo** wrote:\n> How did yours go?\n\nAnd again.", quoted_post=first)
    assert [n.kind for n in notifications_of(jo)] == ["mention", "quote"]
    # Published twice (say, once more after a moderator approves it): nobody is told twice.
    notify.post_published(second.id, first.id)
    assert len(notifications_of(jo)) == 2 and unread_count(jo) == 2


def test_nobody_hears_of_a_post_held_for_a_moderator(category, monkeypatch):
    jo, sam = member("Jo"), member("Sam")
    first = start_thread(jo, category)
    monkeypatch.setattr("community.forums.services.review_new_content", lambda *args, **kwargs: Review(state="pending"))
    held = reply(sam, first.thread, "@Jo hello", quoted_post=first)
    assert held.state == "pending"
    notify.post_published(held.id, first.id)  # even if called, a held post tells nobody
    assert notifications_of(jo) == []
    # Its author now watches the thread, ready for when it is approved.
    assert watches(sam, first.thread_id)


def test_moderators_only_categories_tell_only_moderators(app):
    staff_room = make_category("Staff room", moderators_only=True)
    moderator = make_user(role="moderator", display_name="Mod Erin")
    other_moderator = make_user(role="moderator", display_name="Mod Alex")
    sam = member("Sam")
    db.session.add(Watch(user_id=sam.id, category_id=staff_room.id))  # left from before it was made private
    db.session.commit()
    start_thread(moderator, staff_room, title="Rota", body="@Sam and @Mod Alex, the rota.")
    assert notifications_of(sam) == []
    assert [n.kind for n in notifications_of(other_moderator)] == ["mention"]


def test_someone_without_membership_is_not_told(category):
    writer = member("Writer")
    lapsed = make_user(display_name="Lapsed Lee")
    start_thread(writer, category, body="Hi @Lapsed Lee")
    assert notifications_of(lapsed) == []


# Watching and bookmarks through the pages -------------------------------------------------------------------

def test_a_reply_through_the_page_tells_the_thread_starter(app, client, login, category):
    jo, sam = member("Jo"), member("Sam")
    first = start_thread(jo, category)
    login(sam)
    response = submit(client, f"/forums/t/{first.thread_id}/reply",
                      {"body": "Mine was fine, @Jo.", "action": "post"})
    assert response.status_code == 302, response.text
    [note] = notifications_of(jo)
    assert note.kind == "mention"


def test_watch_and_unwatch_a_thread_and_a_category(app, client, login, category):
    jo, sam = member("Jo"), member("Sam")
    first = start_thread(jo, category)
    login(sam)
    thread_url = f"/forums/t/{first.thread_id}"
    response = submit(client, f"{thread_url}/watch", {"next": thread_url}, page="/notifications")
    assert response.status_code == 302 and response.location == thread_url
    assert watches(sam, first.thread_id)
    submit(client, f"{thread_url}/watch", {}, page="/notifications")  # twice: still one watch
    assert db.session.scalar(select(db.func.count()).select_from(Watch).where(Watch.user_id == sam.id)) == 1
    submit(client, f"{thread_url}/unwatch", {}, page="/notifications")
    assert not watches(sam, first.thread_id)

    submit(client, f"/forums/{category.slug}/watch", {}, page="/notifications")
    assert notify.is_watching_category(sam, category.id)
    submit(client, f"/forums/{category.slug}/unwatch", {}, page="/notifications")
    assert not notify.is_watching_category(sam, category.id)


def test_nobody_watches_or_bookmarks_what_they_cannot_see(app, client, login):
    staff_room = make_category("Staff room", moderators_only=True)
    first = start_thread(make_user(role="moderator", display_name="Mod Erin"), staff_room)
    login(member("Sam"))
    for url in (f"/forums/t/{first.thread_id}/watch", f"/forums/{staff_room.slug}/watch",
                f"/forums/p/{first.id}/bookmark"):
        assert submit(client, url, {}, page="/notifications").status_code == 404
    assert db.session.scalar(select(db.func.count()).select_from(Bookmark)) == 0


def test_a_stranger_cannot_send_me_to_another_site(app, client, login, category):
    first = start_thread(member("Jo"), category)
    login(member("Sam"))
    response = submit(client, f"/forums/p/{first.id}/bookmark", {"next": "https://evil.example/"},
                      page="/notifications")
    assert response.location == f"/forums/p/{first.id}"


def test_bookmark_and_unbookmark_a_post(app, client, login, category):
    jo, sam = member("Jo"), member("Sam")
    first = start_thread(jo, category, body="Lie flat and drink coffee.")
    login(sam)
    submit(client, f"/forums/p/{first.id}/bookmark", {}, page="/notifications")
    submit(client, f"/forums/p/{first.id}/bookmark", {}, page="/notifications")  # a double tap
    assert bookmarked_by(sam) == [first.id]
    page = client.get("/forums/bookmarks")
    assert "Blood patches" in page.text and "Lie flat and drink coffee." in page.text
    submit(client, f"/forums/p/{first.id}/unbookmark", {}, page="/notifications")
    assert bookmarked_by(sam) == []
    assert "No bookmarks yet" in client.get("/forums/bookmarks").text


def test_my_posts_lists_my_posts_newest_first_and_not_others(app, client, login, category):
    jo, sam = member("Jo"), member("Sam")
    first = start_thread(jo, category, title="First thread", body="Jo's words")
    reply(sam, first.thread, "Sam's reply words")
    start_thread(sam, category, title="Sam's own thread", body="Sam's opening words")
    login(sam)
    html = client.get("/forums/mine").text
    assert html.index("Sam&#39;s opening words") < html.index("Sam&#39;s reply words")
    assert "Jo&#39;s words" not in html


def test_my_posts_and_bookmarks_cost_the_same_queries_for_few_or_many(app, client, login, category,
                                                                     count_queries):
    sam = member("Sam")
    login(sam)

    def queries(url):
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    first = start_thread(sam, category)
    notify.bookmark_post(sam, first)
    few = queries("/forums/mine"), queries("/forums/bookmarks")
    for number in range(40):  # more than a page
        post = reply(member(f"Writer {number}"), first.thread, f"Reply {number}")
        reply(sam, first.thread, f"My reply {number}")
        notify.bookmark_post(sam, post)
    assert (queries("/forums/mine"), queries("/forums/bookmarks")) == few
    assert "Older" in client.get("/forums/mine").text
    assert client.get("/forums/bookmarks?page=2").status_code == 200


def test_hidden_posts_leave_bookmarks_but_not_others_lists(app, client, login, category):
    jo, sam = member("Jo"), member("Sam")
    first = start_thread(jo, category, body="Soon hidden")
    notify.bookmark_post(sam, first)
    first.state = "hidden"
    db.session.commit()
    login(sam)
    assert "Soon hidden" not in client.get("/forums/bookmarks").text
    other = app.test_client()
    login(jo, the_client=other)
    assert "Hidden by a moderator" in other.get("/forums/mine").text


def test_a_post_with_a_content_note_stays_folded_in_the_lists(app, client, login, category):
    from community.forums import services as forums

    sam = member("Sam")
    post = forums.create_thread(sam, category, "Hard days", "Some heavy words", "mentions of loss")
    notify.bookmark_post(sam, post)
    login(sam)
    for url in ("/forums/mine", "/forums/bookmarks"):
        html = client.get(url).text
        assert "<summary>Content note: mentions of loss. Open to read</summary>" in html
        assert html.index("Content note") < html.index("Some heavy words")


def test_a_held_post_deleted_by_its_author_leaves_my_posts(app, client, login, category, monkeypatch):
    from community.forums import services as forums

    sam = member("Sam")
    monkeypatch.setattr("community.forums.services.review_new_content", lambda *args, **kwargs: Review(state="pending"))
    post = forums.create_thread(sam, category, "Second thoughts", "Not sure about this")
    forums.delete_post(sam, forums.get_post(sam, post.id))
    login(sam)
    assert "Not sure about this" not in client.get("/forums/mine").text


def test_the_thread_and_category_pages_offer_watch_and_bookmark_buttons_that_work(app, client, login, category):
    import re
    from urllib.parse import urljoin

    from tests.conftest import csrf_token_from

    jo, sam = member("Jo"), member("Sam")
    first = start_thread(jo, category)
    login(sam)
    thread_url = f"/forums/t/{first.thread_id}"

    def press(page_url, text):
        """Press the button with this text as a browser would: its formaction (or its form's action), resolved
        against the page's address, with the form's CSRF token."""
        html = client.get(page_url).text
        button = re.search(rf'<button[^>]*formaction="([^"]+)"[^>]*>{re.escape(text)}</button>', html)
        if button:
            action = button.group(1)
        else:
            form = re.search(rf'<form method="post" action="([^"]+)"[^>]*>(?:(?!</form>).)*>{re.escape(text)}<',
                             html, re.DOTALL)
            assert form, f"no {text!r} button on {page_url}"
            action = form.group(1)
        return client.post(urljoin("http://localhost" + page_url, action),
                           data={"csrf_token": csrf_token_from(html)})

    assert press(thread_url, "Watch this thread").status_code == 302
    assert watches(sam, first.thread_id)
    assert press(thread_url, "Stop watching this thread").status_code == 302
    assert not watches(sam, first.thread_id)

    response = press(thread_url, "Bookmark")
    assert response.status_code == 302 and response.location == f"/forums/p/{first.id}"
    assert bookmarked_by(sam) == [first.id]
    press(thread_url, "Remove bookmark")
    assert bookmarked_by(sam) == []

    category_url = f"/forums/{category.slug}"
    press(category_url, 'Watch for new threads here<span class="visually-hidden">: Living with a leak</span>')
    assert notify.is_watching_category(sam, category.id)
