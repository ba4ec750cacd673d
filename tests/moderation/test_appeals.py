"""A member whose post was hidden, or who was silenced or suspended, may ask once for the decision to be looked at
again. The appeal goes to the queue; the moderator who acted cannot decide it; another can uphold or overturn it,
and the member sees the outcome."""

import pytest

from community.forums import services as forums
from community.forums.models import Post
from community.moderation import services as moderation
from community.moderation.models import Appeal, AuditEntry, QueueItem
from tests.conftest import csrf_token_from, submit
from tests.factories import make_member
from tests.forums.forum_data import agreed_member
from tests.moderation.moderation_data import a_post, decide_appeal, flag, moderator, open_item

pytestmark = pytest.mark.usefixtures("posts_go_up_at_once")


@pytest.fixture
def hidden(app, login, db):
    """Sam's post, hidden by Morgan; clients for Sam, Morgan and Kim (another moderator)."""
    sam = agreed_member(display_name="Sam")
    post = a_post(sam, body="My honest experience of the clinic.")
    morgan, kim = moderator(display_name="Morgan"), moderator(display_name="Kim")
    item = flag(make_member(), post, "unkind")
    moderation.decide(morgan, item.id, item.version, "hide", "This names a doctor.")
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "moderation.hide"))
    clients = {}
    for name, person in (("sam", sam), ("morgan", morgan), ("kim", kim)):
        clients[name] = app.test_client()
        login(person, the_client=clients[name])
    return {"sam": sam, "post": post, "entry": entry, "as": clients}


def appeal(client, entry_id, text="I did not name anyone; it was a clinic."):
    return submit(client, f"/standing/{entry_id}/appeal", {"text": text})


def test_a_member_appeals_once_and_the_appeal_goes_to_the_queue(hidden, db):
    sam = hidden["as"]["sam"]
    entry_id = hidden["entry"].id
    assert f"/standing/{entry_id}/appeal" in sam.get("/standing").text
    response = appeal(sam, entry_id, "")
    assert response.status_code == 400 and "say in a few words why" in response.text
    response = appeal(sam, entry_id)
    assert response.status_code == 302 and response.location == f"/standing#notice-{entry_id}"
    item = open_item(hidden["post"])
    assert item.reason == "appeal" and item.status == "open"
    standing = sam.get("/standing").text
    assert "Appeal waiting" in standing and f"/standing/{entry_id}/appeal" not in standing
    # A second request is refused, kindly.
    page = sam.get(f"/standing/{entry_id}/appeal").text
    assert "Appeal waiting" in page and 'name="text"' not in page
    again = sam.post(f"/standing/{entry_id}/appeal", data={"text": "Please!", "csrf_token": _token(sam)})
    assert again.status_code == 400 and "You have already appealed this decision" in again.text
    assert db.session.scalar(db.select(db.func.count(Appeal.id))) == 1
    assert "Appeal" in hidden["as"]["kim"].get("/moderation").text


def _token(client):
    return csrf_token_from(client.get("/standing").text)


def test_the_moderator_who_acted_cannot_decide_the_appeal(hidden, db):
    appeal(hidden["as"]["sam"], hidden["entry"].id)
    item = open_item(hidden["post"])
    page = hidden["as"]["morgan"].get(f"/moderation/items/{item.id}").text
    assert "You made this decision, so another moderator must decide the appeal." in page
    assert 'name="outcome"' not in page and 'id="decide"' not in page
    response = hidden["as"]["morgan"].post(f"/moderation/items/{item.id}/appeal", data={
        "version": str(item.version), "outcome": "uphold", "reason": "I stand by it.",
        "csrf_token": csrf_token_from(hidden["as"]["morgan"].get("/moderation").text)})
    assert response.status_code == 400 and "another moderator must decide" in response.text
    assert db.session.get(Appeal, 1).decided_at is None
    assert db.session.get(QueueItem, item.id).status == "open"


def test_another_moderator_overturns_and_the_post_is_back_for_everyone(hidden, app, login, db):
    appeal(hidden["as"]["sam"], hidden["entry"].id)
    item = open_item(hidden["post"])
    page = hidden["as"]["kim"].get(f"/moderation/items/{item.id}").text
    assert "I did not name anyone" in page and "This names a doctor." in page and 'name="outcome"' in page
    response = decide_appeal(hidden["as"]["kim"], item.id, "overturn", "You are right: it names a clinic.")
    assert response.status_code == 302
    assert db.session.get(Post, hidden["post"].id).state == "visible"
    reader = app.test_client()
    login(make_member(), the_client=reader)
    assert "My honest experience" in reader.get(f"/forums/t/{hidden['post'].thread_id}").text
    standing = hidden["as"]["sam"].get("/standing").text
    assert "Appeal: decision overturned" in standing and "You are right: it names a clinic." in standing
    assert db.session.scalar(db.select(AuditEntry.actor_id).where(
        AuditEntry.action == "moderation.appeal_overturned")) is not None


def test_an_upheld_appeal_leaves_the_decision_and_says_so(hidden, db):
    appeal(hidden["as"]["sam"], hidden["entry"].id)
    item = open_item(hidden["post"])
    response = decide_appeal(hidden["as"]["kim"], item.id, "uphold", "")
    assert response.status_code == 400 and "Please write a reason" in response.text
    decide_appeal(hidden["as"]["kim"], item.id, "uphold", "Names are not allowed, even of clinics.")
    assert db.session.get(Post, hidden["post"].id).state == "hidden"
    standing = hidden["as"]["sam"].get("/standing").text
    assert "Appeal: decision stands" in standing and "even of clinics" in standing
    assert f"/standing/{hidden['entry'].id}/appeal\"" not in standing


def test_a_suspended_member_appeals_and_an_overturn_lifts_the_suspension(app, login, db):
    pat = agreed_member(display_name="Pat")
    morgan, kim = moderator(), moderator()
    entry = moderation.act_on_member(morgan, pat, "suspend", "Rude replies.", 14)
    as_pat = app.test_client()
    login(pat, the_client=as_pat)
    assert as_pat.get("/forums").location == "/standing"
    assert as_pat.get(f"/standing/{entry.id}/appeal").status_code == 200
    assert appeal(as_pat, entry.id, "I was replying to someone who was rude first.").status_code == 302
    item = moderation._find_open_item("member", pat.id)
    assert item.reason == "appeal"
    as_kim = app.test_client()
    login(kim, the_client=as_kim)
    decide_appeal(as_kim, item.id, "overturn", "Fair point; we have spoken to the other member.")
    db.session.refresh(pat)
    assert pat.restriction is None
    assert as_pat.get("/forums").status_code == 200
    assert "Appeal: decision overturned" in as_pat.get("/standing").text


def test_only_your_own_appealable_decisions_can_be_appealed(hidden, app, login, db):
    other = app.test_client()
    login(make_member(), the_client=other)
    assert other.get(f"/standing/{hidden['entry'].id}/appeal").status_code == 404
    warned = agreed_member()
    warning = moderation.act_on_member(moderator(), warned, "warn", "Off topic.")
    as_warned = app.test_client()
    login(warned, the_client=as_warned)
    assert as_warned.get(f"/standing/{warning.id}/appeal").status_code == 404
    assert as_warned.get("/standing/999999/appeal").status_code == 404
    assert "/login" in app.test_client().get(f"/standing/{hidden['entry'].id}/appeal").location


def test_an_overturn_that_cannot_be_applied_changes_nothing_and_says_why(hidden, db):
    appeal(hidden["as"]["sam"], hidden["entry"].id)
    item = open_item(hidden["post"])
    forums.delete_post(hidden["sam"], db.session.get(Post, hidden["post"].id))  # Sam deletes it meanwhile
    response = decide_appeal(hidden["as"]["kim"], item.id, "overturn", "It can come back.")
    assert response.status_code == 400 and "Its author deleted this post" in response.text
    assert db.session.get(QueueItem, item.id).status == "open"
    assert db.session.get(Appeal, 1).decided_at is None
    assert decide_appeal(hidden["as"]["kim"], item.id, "uphold", "It stays as it is.").status_code == 302
