"""Found by fuzzing every form (tests/fuzz): a reaction button's value or page number written with digits that are
not 0-9 ("¹", "①", a huge number: a tampered form) answered with an error page. It is now a plain refusal (400),
or the thread's first page, and nothing is saved. Likewise a reply form's ?quote= id beyond the database's integer."""

from community.forums.models import Reaction
from tests.conftest import csrf_token_from
from tests.factories import make_member
from tests.forums.forum_data import agreed_member, make_category, make_thread


def test_a_reaction_sent_with_digits_that_are_not_0_to_9_is_refused_without_an_error_page(client, login, db):
    first = make_thread(make_member(), make_category())
    login(agreed_member())
    page = client.get(f"/forums/t/{first.thread_id}").text
    token = csrf_token_from(page)
    for react in ("¹", "①:support", "99999999999999999999:support", "\u0663:support"):
        response = client.post(f"/forums/t/{first.thread_id}/react", data={"react": react, "csrf_token": token})
        assert response.status_code == 400
    response = client.post(f"/forums/t/{first.thread_id}/react",
                           data={"react": f"{first.id}:support", "page": "²", "csrf_token": token})
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Reaction)) == 1


def test_a_quote_address_with_an_id_too_big_for_the_database_opens_an_empty_reply_form(client, login):
    first = make_thread(make_member(), make_category())
    login(agreed_member())
    for quote in ("99999999999999999999", "-99999999999999999999"):
        response = client.get(f"/forums/t/{first.thread_id}/reply?quote={quote}")
        assert response.status_code == 200 and "<blockquote" not in response.text
