"""The thread page works out each post's times, author and links once, in Python (services.PostView) and from one
address pattern a link kind (routes._post_addresses): what each reader sees must be what the addresses and their
time zone say, and a change (an edit, a deletion, a new time zone) shows on the very next view."""

import re
from zoneinfo import ZoneInfo

from flask import url_for

from community.accounts import services as accounts
from community.forums import notify
from community.forums import services as forums
from tests.factories import make_user
from tests.forums.forum_data import agreed_member, make_category


def article(page: str, number: int) -> str:
    """The HTML of post `number` on a thread page."""
    found = re.search(rf'<article aria-labelledby="post-{number}">.*?</article>', page, re.S)
    assert found, f"no post {number}"
    return found.group(0)


def words_of(moment, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%-d %B %Y at %H:%M")


def edited_words(created, edited, zone: str) -> str:
    """As the page says it: the time alone when edited the day it was written, in the reader's time zone."""
    created, edited = created.astimezone(ZoneInfo(zone)), edited.astimezone(ZoneInfo(zone))
    if created.date() == edited.date():
        return f"edited at {edited:%H:%M}"
    return "edited " + words_of(edited, zone)


def set_time_zone(user, zone: str) -> None:
    accounts.update_profile(user, user.display_name, user.bio or "", zone, user.text_size)


def test_times_are_in_the_readers_time_zone_and_a_new_zone_shows_at_once(client, login, db):
    author = agreed_member(display_name="Sam")
    first = forums.create_thread(author, make_category(), "Mornings", "Lying flat helps.")
    forums.edit_post(author, forums.get_post(author, first.id), "Lying flat helps a little.")
    post = forums.get_post(author, first.id)
    reader = agreed_member()
    set_time_zone(reader, "Pacific/Auckland")
    login(reader)
    url = f"/forums/t/{first.thread_id}"
    meta = (f'<a href="#post-1">#1</a> · {words_of(post.created_at, "Pacific/Auckland")} · '
            f'{edited_words(post.created_at, post.edited_at, "Pacific/Auckland")}</p>')
    assert meta in article(client.get(url).text, 1)
    set_time_zone(reader, "America/New_York")
    meta = (f'<a href="#post-1">#1</a> · {words_of(post.created_at, "America/New_York")} · '
            f'{edited_words(post.created_at, post.edited_at, "America/New_York")}</p>')
    assert meta in article(client.get(url).text, 1)


def test_an_edit_and_a_deletion_show_on_the_next_view(client, login, db):
    author = agreed_member(display_name="Sam")
    first = forums.create_thread(author, make_category(), "Mornings", "Lying flat helps.")
    reply = forums.create_post(author, forums.get_thread(author, first.thread_id), "Caffeine too.")
    login(agreed_member())
    url = f"/forums/t/{first.thread_id}"
    page = client.get(url).text
    assert "Caffeine too." in article(page, 2) and "edited" not in article(page, 2)
    forums.edit_post(author, forums.get_post(author, reply.id), "Caffeine and salt.")
    shown = article(client.get(url).text, 2)
    assert "Caffeine and salt." in shown and "Caffeine too." not in shown and " · edited " in shown
    forums.delete_post(author, forums.get_post(author, reply.id))
    shown = article(client.get(url).text, 2)
    assert "Caffeine" not in shown and "This post was deleted by its author." in shown


def test_staff_carry_their_badge_and_names_are_escaped(client, login, db):
    moderator = make_user(role="moderator", display_name="Mo")
    writer = agreed_member(display_name="Ann <b>&")
    first = forums.create_thread(writer, make_category(), "Evenings", "Hello.")
    forums.create_post(moderator, forums.get_thread(moderator, first.thread_id), "Welcome.")
    login(agreed_member())
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert '<h2 id="post-1">Ann &lt;b&gt;&amp;</h2>' in page
    assert '<h2 id="post-2">Mo <span class="tag tag-staff">Moderator</span></h2>' in page


def test_every_link_of_a_post_is_the_address_of_its_page(app, login, db):
    """Each link (quote, who reacted, edit, delete, bookmark, history, flag) leads where url_for says, for the
    readers who are offered it, seen from the thread page (the forum's links are relative to it)."""
    author, reader, moderator = agreed_member(), agreed_member(), make_user(role="moderator")
    first = forums.create_thread(author, make_category(), "Evenings", "Hello.")
    thread = forums.get_thread(author, first.thread_id)
    more = forums.create_post(author, thread, "More.")
    second = forums.create_post(reader, thread, "Hello back.")
    forums.toggle_reaction(reader, forums.get_post(reader, first.id), "support")
    forums.edit_post(author, forums.get_post(author, first.id), "Hello, edited.")
    notify.bookmark_post(reader, forums.get_post(reader, first.id))
    url = f"/forums/t/{thread.id}"

    def links(who) -> set[str]:
        reader_client = app.test_client()
        login(who, the_client=reader_client)
        page = reader_client.get(url).text
        return set(re.findall(r'(?:href|formaction)="([^"#][^"]*)" aria-describedby="post-\d+"', page))

    with app.test_request_context():
        def here(endpoint, **values) -> str:  # relative to /forums/t/
            address = url_for(endpoint, **values)
            return address[len("/forums/t/"):] if address.startswith("/forums/t/") else (
                "../" + address[len("/forums/"):] if address.startswith("/forums/") else address)
        expected_reader = {here("forums.reply", thread_id=thread.id, quote=first.id, _anchor="body"),
                           here("forums.reactions", post_id=first.id),
                           here("notifications.unbookmark_post", post_id=first.id),
                           here("notifications.bookmark_post", post_id=more.id),
                           url_for("moderation.flag", kind="forum_post", target_id=first.id),
                           here("forums.edit_post", post_id=second.id),
                           here("forums.delete_post", post_id=second.id)}
        expected_author = {here("forums.edit_post", post_id=first.id), here("forums.delete_post", post_id=first.id),
                           here("notifications.bookmark_post", post_id=first.id),
                           url_for("moderation.flag", kind="forum_post", target_id=second.id)}
        expected_moderator = {here("forums.history", post_id=first.id)}
    assert "../p/" in " ".join(expected_reader)
    assert expected_reader <= links(reader)
    assert expected_author <= links(author)
    assert expected_moderator <= links(moderator)
