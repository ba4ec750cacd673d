"""In-app notifications: the unread counter kept on the account row, the list, opening and marking read."""

import re

from sqlalchemy import select, update

from community.accounts.models import User
from community.extensions import db
from community.notifications import services
from tests.conftest import csrf_token_from, submit
from tests.factories import make_member, make_user


def unread_count(user) -> int:
    return db.session.scalar(select(User.unread_notifications).where(User.id == user.id))


def tell(user, text="Sam replied in “Blood patches”", url="/forums/p/1", kind="reply"):
    return services.notify(user.id, kind, None, text, url)


def test_notify_adds_the_row_and_raises_the_counter_together(app):
    person = make_member()
    first = tell(person)
    tell(person, "Kim mentioned you in “Sleep”", kind="mention")
    assert unread_count(person) == 2
    assert first.read_at is None and first.emailed_at is None


def test_mark_read_some_then_all_keeps_the_counter_right(app):
    person, other = make_member(), make_member()
    rows = [tell(person, f"Note {n}") for n in range(4)]
    theirs = tell(other)
    assert services.mark_read(person, [rows[0].id, rows[1].id, theirs.id]) == 2
    assert unread_count(person) == 2 and unread_count(other) == 1
    assert services.mark_read(person, [rows[0].id]) == 0  # already read: nothing changes twice
    assert unread_count(person) == 2
    assert services.mark_read(person) == 2
    assert unread_count(person) == 0
    assert services.mark_read(person) == 0 and unread_count(person) == 0


def test_the_counter_never_goes_below_zero(app):
    person = make_member()
    tell(person)
    tell(person)
    # However it came to be too low (an old bug, a restore), marking read cannot take it below zero.
    db.session.execute(update(User).where(User.id == person.id).values(unread_notifications=1))
    db.session.commit()
    services.mark_read(person)
    assert unread_count(person) == 0
    tell(person)
    db.session.execute(update(User).where(User.id == person.id).values(unread_notifications=7))
    db.session.commit()
    assert services.recount_unread(person.id) == 1 and unread_count(person) == 1


def test_the_header_shows_the_unread_count_without_a_query_of_its_own(client, login, count_queries):
    person = make_member()
    login(person)
    html = client.get("/lounge").text
    assert re.search(r">Notifications</a>", html)
    for number in range(3):
        tell(person, f"Note {number}")
    with count_queries() as queries:
        html = client.get("/lounge").text
    assert 'Notifications (3<span class="visually-hidden"> unread</span>)' in html
    assert len(queries) == 1  # the same one query that loads the account on every page


def test_the_list_is_newest_first_with_unread_marked_and_mark_all_as_read(client, login):
    person = make_member()
    old = tell(person, "Jo replied in “Old thread”")
    tell(person, "Kim mentioned you in “New thread”", kind="mention")
    services.mark_read(person, [old.id])
    login(person)
    html = client.get("/notifications").text
    assert html.index("Kim mentioned you") < html.index("Jo replied")
    assert html.count('<span class="tag">New</span>') == 1
    assert "Mark all as read" in html
    response = submit(client, "/notifications/read", {}, page="/notifications")
    assert response.status_code == 302
    assert unread_count(person) == 0
    html = client.get("/notifications").text
    assert '<span class="tag">New</span>' not in html and "Mark all as read" not in html
    assert "Notifications (" not in html


def test_mark_all_as_read_leaves_one_that_arrived_after_the_page_was_shown(client, login):
    person = make_member()
    tell(person, "Seen on the page")
    login(person)
    page = client.get("/notifications").text
    late = tell(person, "Arrived while reading")
    client.post("/notifications/read", data={"csrf_token": csrf_token_from(page),
                                             "up_to": re.search(r'name="up_to" value="(\d+)"', page).group(1)})
    assert unread_count(person) == 1
    db.session.refresh(late)
    assert late.read_at is None


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, login):
    person = make_member()
    note = tell(person, url="/forums/p/12")
    login(person)
    response = client.get(f"/notifications/{note.id}/open")
    assert response.status_code == 302 and response.location == "/forums/p/12"
    assert unread_count(person) == 0
    db.session.refresh(note)
    assert note.read_at is not None


def test_nobody_opens_another_persons_notification(client, login):
    note = tell(make_member())
    login(make_member())
    assert client.get(f"/notifications/{note.id}/open").status_code == 404
    db.session.refresh(note)
    assert note.read_at is None


def test_an_address_that_leaves_the_site_is_never_followed(client, login):
    person = make_member()
    note = tell(person, url="https://evil.example/")
    login(person)
    assert client.get(f"/notifications/{note.id}/open").location == "/notifications"


def test_the_notifications_page_needs_a_login(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.location


def test_the_list_pages_thirty_at_a_time_at_a_fixed_cost(client, login, count_queries):
    person = make_member()
    login(person)
    tell(person, "Note first")

    def queries(url):
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    few = queries("/notifications")
    for number in range(45):
        tell(person, f"Note {number}")
    assert queries("/notifications") == few
    first, second = client.get("/notifications").text, client.get("/notifications?page=2").text
    assert first.count('class="card"') == 30 and "Older" in first
    assert second.count('class="card"') == 16 and "Newer" in second
    assert "Note first" in second
    assert "nothing on this page" in client.get("/notifications?page=9").text


def test_email_preference_is_daily_until_chosen_and_can_be_changed(client, login):
    person = make_user()
    assert services.get_email_mode(person.id) == "daily"
    login(person)
    page = client.get("/account/notifications")
    assert re.search(r'<input (?=[^>]*checked)(?=[^>]*value="daily")[^>]*>', page.text)
    response = submit(client, "/account/notifications", {"email_mode": "instant"})
    assert response.status_code == 302
    assert services.get_email_mode(person.id) == "instant"
    response = submit(client, "/account/notifications", {"email_mode": "sometimes"})
    assert response.status_code == 200 and "Error: " in response.text
    assert services.get_email_mode(person.id) == "instant"
    submit(client, "/account/notifications", {"email_mode": "off"})
    assert services.get_email_mode(person.id) == "off"
