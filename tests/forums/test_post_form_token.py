"""The same new-thread or reply form sent twice (a double tap, a retried request, or "Post" pressed again after the
"may have been saved" page of a database outage) makes one post, and its watchers hear about it once. Each form
carries a random one-time token; another member's token, or a made-up one, never reaches someone else's post."""

import re

import pytest
from sqlalchemy import func, select

from community.forums import notify
from community.forums.models import Post, Thread
from tests.conftest import csrf_token_from
from tests.forums.forum_data import agreed_member, make_category, make_thread


@pytest.fixture
def published(monkeypatch):
    calls = []
    monkeypatch.setattr(notify, "post_published", lambda post_id, quoted_post_id=None: calls.append(post_id))
    return calls


def _form(client, url: str) -> dict:
    page = client.get(url).text
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token, "the form carries no one-time token"
    return {"csrf_token": csrf_token_from(page), "form_token": token.group(1)}


def _posts(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Post))


def test_a_reply_sent_twice_is_posted_once_and_announced_once(client, login, db, published):
    first = make_thread(agreed_member(), make_category())
    login(agreed_member())
    url = f"/forums/t/{first.thread_id}/reply"
    data = {**_form(client, url), "body": "Sending you strength.", "action": "post"}
    before = _posts(db)
    once, twice = client.post(url, data=data), client.post(url, data=data)
    assert _posts(db) == before + 1
    assert once.status_code == twice.status_code == 302 and once.location == twice.location
    assert "already saved" in client.get(twice.location).text
    assert len(published) == 1
    assert db.session.get(Thread, first.thread_id).reply_count == 1


def test_the_reply_box_under_a_thread_carries_a_token_too(client, login, db, published):
    first = make_thread(agreed_member(), make_category())
    login(agreed_member())
    data = {**_form(client, f"/forums/t/{first.thread_id}"), "body": "Me too.", "action": "post"}
    for _ in range(3):
        assert client.post(f"/forums/t/{first.thread_id}/reply", data=data).status_code == 302
    assert _posts(db) == 2 and len(published) == 1


def test_a_new_thread_sent_twice_makes_one_thread(client, login, db, published):
    category = make_category()
    login(agreed_member())
    url = f"/forums/{category.slug}/new"
    data = {**_form(client, url), "title": "Day three", "body": "Lying flat again.", "action": "post"}
    assert client.post(url, data=data).status_code == client.post(url, data=data).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 1 and len(published) == 1


def test_each_opening_of_the_form_is_a_new_post_and_tokens_are_per_member(app, client, login, db, published):
    first = make_thread(agreed_member(), make_category())
    url = f"/forums/t/{first.thread_id}/reply"
    login(agreed_member())
    shared = _form(client, url)
    client.post(url, data={**shared, "body": "One.", "action": "post"})
    client.post(url, data={**_form(client, url), "body": "Two.", "action": "post"})
    other = app.test_client()
    login(agreed_member(), the_client=other)
    # Another member sending the first member's token gets a post of their own, not theirs.
    other.post(url, data={**_form(other, url), "form_token": shared["form_token"], "body": "Three.",
                          "action": "post"})
    bodies = sorted(db.session.scalars(select(Post.body).where(Post.number > 1)))
    assert bodies == ["One.", "Three.", "Two."]


def test_a_made_up_token_is_ignored(client, login, db, published):
    first = make_thread(agreed_member(), make_category())
    login(agreed_member())
    url = f"/forums/t/{first.thread_id}/reply"
    for token in ("x", "<script>", "a" * 500):
        data = {**_form(client, url), "form_token": token, "body": f"Token {len(token)}.", "action": "post"}
        assert client.post(url, data=data).status_code == 302
    assert _posts(db) == 4
