"""Found by fuzzing every form (tests/fuzz): "Mark all as read" with a number in `up_to` beyond any id the database
can hold (a tampered form) marks everything read, instead of an error page."""

from tests.conftest import csrf_token_from
from tests.factories import make_member
from tests.notifications.test_notifications import tell, unread_count


def test_mark_all_as_read_with_an_id_too_big_for_the_database_marks_them_all(client, login):
    person = make_member()
    tell(person, "One")
    tell(person, "Two")
    login(person)
    page = client.get("/notifications").text
    for too_big in ("99999999999999999999999", "-99999999999999999999999"):
        response = client.post("/notifications/read", data={"csrf_token": csrf_token_from(page), "up_to": too_big})
        assert response.status_code == 302
    assert unread_count(person) == 0
