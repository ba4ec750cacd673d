"""The thread page's cheaper parts: its reply form is drawn once per app and filled in with each reader's own
tokens (routes._reply_editor), and whether the reader watches the thread and which posts they bookmarked come with
the page's own statements (services.thread_page). What each reader sees must be theirs, and a change must show on
the very next view."""

import re

from flask import get_template_attribute

from community.forums import notify
from community.forums import services as forums
from community.forums.forms import ReplyForm
from tests.conftest import csrf_token_from
from tests.factories import make_user
from tests.forums.forum_data import agreed_member, make_category, make_thread


def reply_form_of(page: str) -> str:
    found = re.search(r'<form method="post" action="[^"]*/reply" novalidate>.*?</form>', page, re.S)
    assert found, "the page has no reply form"
    return found.group(0)


def values_in(form: str) -> tuple[str, str]:
    """(CSRF token, one-time form token) of a form."""
    return (re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1),
            re.search(r'name="form_token" value="([^"]+)"', form).group(1))


def test_the_reply_form_is_the_shared_editor_with_the_readers_own_tokens(app, client, login, db):
    first = make_thread(agreed_member(), make_category())
    login(agreed_member())
    url = f"/forums/t/{first.thread_id}"
    page = client.get(url).text
    form = reply_form_of(page)
    csrf, form_token = values_in(form)
    # The token of the page's other forms (the reader's own), and the form as the editor macro draws it.
    assert csrf == csrf_token_from(page)
    with app.test_request_context():
        reply = ReplyForm(formdata=None, form_token=form_token)
        reply.csrf_token.current_token = csrf
        drawn = str(get_template_attribute("forums/_editor.html", "editor")(
            reply, {}, f"/forums/t/{first.thread_id}/reply", "Post reply"))
    assert form == drawn.strip()
    # A new one-time token on every view; the form posts.
    again = reply_form_of(client.get(url).text)
    assert values_in(again)[1] != form_token
    answer = client.post(f"/forums/t/{first.thread_id}/reply",
                         data={"csrf_token": values_in(again)[0], "form_token": values_in(again)[1],
                               "body": "Thinking of you.", "action": "post"})
    assert answer.status_code == 302


def test_two_readers_never_share_a_token_or_a_thread_address(app, login, db):
    category = make_category()
    one, two = make_thread(agreed_member(), category), make_thread(agreed_member(), category, title="Second")
    pages = []
    for first in (one, two):
        reader_client = app.test_client()
        login(agreed_member(), the_client=reader_client)
        pages.append(reply_form_of(reader_client.get(f"/forums/t/{first.thread_id}").text))
    assert values_in(pages[0])[0] != values_in(pages[1])[0]
    assert f'action="/forums/t/{one.thread_id}/reply"' in pages[0]
    assert f'action="/forums/t/{two.thread_id}/reply"' in pages[1]


def test_watching_and_bookmarks_show_on_the_next_view(client, login, db):
    author = agreed_member()
    first = make_thread(author, make_category(), replies=2)
    reader = agreed_member()
    login(reader)
    url = f"/forums/t/{first.thread_id}"
    page = client.get(url).text
    assert "Watch this thread" in page and "Remove bookmark" not in page
    thread = forums.get_thread(reader, first.thread_id)
    notify.watch_thread(reader, thread)
    notify.bookmark_post(reader, forums.get_post(reader, first.id))
    page = client.get(url).text
    assert "Stop watching this thread" in page
    assert re.findall(r">(Remove bookmark|Bookmark)</button>", page) == ["Remove bookmark", "Bookmark", "Bookmark"]
    notify.unwatch_thread(reader, thread)
    notify.unbookmark_post(reader, first.id)
    page = client.get(url).text
    assert "Watch this thread" in page and "Remove bookmark" not in page


def test_another_members_watch_and_bookmarks_are_not_the_readers(app, login, db):
    author = agreed_member()
    first = make_thread(author, make_category(), replies=1)
    notify.watch_thread(author, forums.get_thread(author, first.thread_id))
    notify.bookmark_post(author, forums.get_post(author, first.id))
    for reader in (agreed_member(), make_user(role="moderator", two_factor_on=False)):
        reader_client = app.test_client()
        login(reader, the_client=reader_client)
        page = reader_client.get(f"/forums/t/{first.thread_id}").text
        assert "Watch this thread" in page and "Remove bookmark" not in page


def test_a_moderator_sees_their_own_bookmarks(client, login, db):
    first = make_thread(agreed_member(), make_category(), replies=1)
    moderator = make_user(role="moderator", two_factor_on=False)
    notify.bookmark_post(moderator, forums.get_post(moderator, first.id))
    login(moderator)
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert re.findall(r">(Remove bookmark|Bookmark)</button>", page) == ["Remove bookmark", "Bookmark"]
