"""Unread markers and "jump to first unread": what a member has read is one small row per thread, written only
when they read further."""

from sqlalchemy import event

from community.forums import services as forums
from community.forums.models import ThreadRead
from tests.factories import make_member
from tests.forums.forum_data import agreed_member, make_category, make_thread


def _read_mark(db, user, thread_id):
    return db.session.scalar(db.select(ThreadRead.last_read_number).where(
        ThreadRead.user_id == user.id, ThreadRead.thread_id == thread_id))


def test_a_thread_never_opened_is_new_then_read_then_unread_again(client, login, db):
    category = make_category()
    author = make_member()
    first = make_thread(author, category, "Blood patch questions", replies=2)
    reader = agreed_member()
    login(reader)
    listing = client.get(f"/forums/{category.slug}").text
    assert '<span class="tag tag-new">New</span>' in listing
    client.get(f"/forums/t/{first.thread_id}")
    assert _read_mark(db, reader, first.thread_id) == 3
    listing = client.get(f"/forums/{category.slug}").text
    assert "tag-new" not in listing and "New posts since you last read" not in listing
    forums.create_post(author, forums.get_thread(author, first.thread_id), "An update.")
    listing = client.get(f"/forums/{category.slug}").text
    assert f'href="/forums/t/{first.thread_id}/unread">New posts since you last read' in listing


def test_jump_to_first_unread_goes_to_its_page_and_post(client, login, db):
    author = make_member()
    first = make_thread(author, make_category(), replies=24)  # 25 posts: two pages
    reader = agreed_member()
    login(reader)
    client.get(f"/forums/t/{first.thread_id}")  # reads posts 1 to 20
    assert _read_mark(db, reader, first.thread_id) == 20
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert f'<a href="/forums/t/{first.thread_id}?page=2#post-21">Jump to first unread</a>' in page
    response = client.get(f"/forums/t/{first.thread_id}/unread")
    assert response.location == f"/forums/t/{first.thread_id}?page=2#post-21"
    client.get(f"/forums/t/{first.thread_id}?page=2")
    assert _read_mark(db, reader, first.thread_id) == 25
    assert "Jump to first unread" not in client.get(f"/forums/t/{first.thread_id}").text
    # Up to date: to the last page.
    assert client.get(f"/forums/t/{first.thread_id}/unread").location == f"/forums/t/{first.thread_id}?page=2"


def test_reading_an_earlier_page_never_lowers_the_mark(client, login, db):
    first = make_thread(make_member(), make_category(), replies=24)
    reader = agreed_member()
    login(reader)
    client.get(f"/forums/t/{first.thread_id}?page=2")
    client.get(f"/forums/t/{first.thread_id}?page=1")
    assert _read_mark(db, reader, first.thread_id) == 25


def test_a_view_writes_nothing_when_nothing_new_was_read(client, login, db):
    first = make_thread(make_member(), make_category(), replies=2)
    login(agreed_member())
    client.get(f"/forums/t/{first.thread_id}")
    writes = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get(f"/forums/t/{first.thread_id}")
        client.get(f"/forums/t/{first.thread_id}")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    # Only the session's coarse "last seen" may write; nothing of the forums.
    assert not [statement for statement in writes if "thread" in statement.lower()]


def test_the_read_mark_is_one_row_per_member_and_thread(client, login, db):
    author = make_member()
    first = make_thread(author, make_category())
    reader = agreed_member()
    login(reader)
    for _ in range(3):
        client.get(f"/forums/t/{first.thread_id}")
        forums.create_post(author, forums.get_thread(author, first.thread_id), "More.")
    assert db.session.scalar(db.select(db.func.count()).select_from(ThreadRead).where(
        ThreadRead.user_id == reader.id)) == 1


def test_writing_a_post_marks_it_read_for_its_author(db):
    author = make_member()
    first = make_thread(author, make_category(), replies=2)
    assert _read_mark(db, author, first.thread_id) == 3


def test_mark_read_only_raises(db):
    author = make_member()
    first = make_thread(author, make_category(), replies=4)
    reader = make_member()
    assert forums.mark_read(reader, first.thread_id, 3, None) is True
    assert forums.mark_read(reader, first.thread_id, 2, 3) is False
    # A stale page (it loaded 1, another tab already read 3) does not lower it either.
    assert forums.mark_read(reader, first.thread_id, 2, 1) is True
    assert _read_mark(db, reader, first.thread_id) == 3
