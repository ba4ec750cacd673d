"""Support, not likes: three reactions, one of each per member and post, given and taken back with a button;
counts shown; names on request."""

import pytest

from community.forums import services as forums
from community.forums.models import Reaction
from tests.conftest import csrf_token_from
from tests.factories import make_member
from tests.forums.forum_data import agreed_member, make_category, make_thread


def _react(client, thread_id, post_id, kind, page_text):
    return client.post(f"/forums/t/{thread_id}/react", data={
        "react": f"{post_id}:{kind}", "page": "1", "csrf_token": csrf_token_from(page_text)})


def test_a_member_gives_and_takes_back_a_reaction(client, login, db):
    first = make_thread(make_member(display_name="Sam"), make_category())
    login(agreed_member())
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert f'name="react" value="{first.id}:support" aria-pressed="false">Sending support</button>' in page
    response = _react(client, first.thread_id, first.id, "support", page)
    assert response.status_code == 302 and response.location == f"/forums/t/{first.thread_id}#post-1"
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert f'value="{first.id}:support" aria-pressed="true">Sending support <b>1</b></button>' in page
    # A second press takes it back.
    _react(client, first.thread_id, first.id, "support", page)
    assert db.session.scalar(db.select(db.func.count()).select_from(Reaction)) == 0


def test_one_of_each_kind_per_member(db):
    first = make_thread(make_member(), make_category())
    member = make_member()
    post = forums.get_post(member, first.id)
    for kind in ("support", "same", "thanks"):
        assert forums.toggle_reaction(member, post, kind) is True
    assert db.session.scalar(db.select(db.func.count()).select_from(Reaction)) == 3
    # Added twice at once (a double tap) it is still there once.
    db.session.add(Reaction(post_id=post.id, user_id=member.id, kind="support"))
    with pytest.raises(Exception):  # noqa: B017 - the primary key refuses the second
        db.session.commit()
    db.session.rollback()
    with pytest.raises(forums.ForumError):
        forums.toggle_reaction(member, post, "like")


def test_counts_from_several_members(client, login, db):
    first = make_thread(make_member(), make_category())
    for _ in range(3):
        reader = make_member()
        forums.toggle_reaction(reader, forums.get_post(reader, first.id), "same")
    login(agreed_member())
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert 'aria-pressed="false">Same here <b>3</b></button>' in page


def test_no_reacting_to_your_own_post(client, login, db):
    author = agreed_member()
    first = make_thread(author, make_category())
    reader = make_member()
    forums.toggle_reaction(reader, forums.get_post(reader, first.id), "thanks")
    with pytest.raises(forums.ForumError):
        forums.toggle_reaction(author, forums.get_post(author, first.id), "thanks")
    login(author)
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert f'value="{first.id}:thanks"' not in page and '<span>Thank you <b>1</b></span>' in page


def test_names_on_request(client, login, db):
    first = make_thread(make_member(display_name="Sam"), make_category())
    priya = make_member(display_name="Priya")
    forums.toggle_reaction(priya, forums.get_post(priya, first.id), "support")
    login(agreed_member())
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert f'href="../p/{first.id}/reactions"' in page  # relative to the page: /forums/p/<id>/reactions
    names = client.get(f"/forums/p/{first.id}/reactions").text
    assert "Who reacted to Sam’s post" in names and "Sending support (1)" in names and "<li>Priya</li>" in names
    assert "Same here (" not in names


def test_reacting_to_a_deleted_post_is_refused(client, login, db):
    author = make_member()
    first = make_thread(author, make_category())
    forums.delete_post(author, forums.get_post(author, first.id))
    login(agreed_member())
    page = client.get(f"/forums/t/{first.thread_id}").text
    response = _react(client, first.thread_id, first.id, "support", page)
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Reaction)) == 0
    assert client.get(f"/forums/p/{first.id}/reactions").status_code == 404


def test_a_reaction_needs_the_forms_token_and_a_post_of_that_thread(client, login, db):
    category = make_category()
    first = make_thread(make_member(), category)
    other = make_thread(make_member(), category, "Other")
    login(agreed_member())
    assert client.post(f"/forums/t/{first.thread_id}/react", data={"react": f"{first.id}:support"}).status_code == 400
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert _react(client, first.thread_id, other.id, "support", page).status_code == 404
    assert client.post(f"/forums/t/{first.thread_id}/react", data={
        "react": "nonsense", "csrf_token": csrf_token_from(page)}).status_code == 400
