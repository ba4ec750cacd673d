"""Admins' moderation screens: the audit log and its filters, watched words (crisis wording is never blocked),
moderation's settings, and the same from the command line."""

from datetime import timedelta

import pytest

from community.accounts import services as accounts
from community.extensions import utcnow
from community.moderation import services as moderation
from community.moderation.models import AuditEntry, WatchedWord
from tests.conftest import submit
from tests.factories import make_member, make_user
from tests.forums.forum_data import agreed_member
from tests.moderation.moderation_data import KIND, a_post, flag, moderator

pytestmark = pytest.mark.usefixtures("posts_go_up_at_once")


@pytest.fixture
def admin_client(app, login):
    client = app.test_client()
    admin = make_user(role="admin", display_name="Alex")
    login(admin, the_client=client)
    client.admin = admin
    return client


def test_admin_screens_are_for_admins_only(app, login, db):
    urls = ["/moderation/audit", "/moderation/watched-words", "/moderation/settings"]
    mod = app.test_client()
    login(moderator(), the_client=mod)
    member = app.test_client()
    login(make_member(), the_client=member)
    for url in urls:
        assert mod.get(url).status_code == 403, url
        assert member.get(url).status_code == 403, url
        assert "/login" in app.test_client().get(url).location
    assert "/moderation/audit" not in mod.get("/moderation").text


def test_the_admin_hub_links_to_the_moderation_screens(admin_client):
    page = admin_client.get("/admin").text
    for url in ("/moderation/audit", "/moderation/watched-words", "/moderation/settings"):
        assert f'href="{url}"' in page


def test_the_audit_log_shows_moderation_and_role_changes_and_filters_them(admin_client, db):
    admin = admin_client.admin
    sam = agreed_member(display_name="Sam", email="sam@example.org")
    morgan, kim = moderator(display_name="Morgan"), moderator(display_name="Kim")
    item = flag(make_member(), a_post(sam), "unkind")
    moderation.decide(morgan, item.id, item.version, "hide", "Unkind words.")
    moderation.act_on_member(kim, sam, "warn", "Please be gentle.")
    helper = make_user(display_name="Helper")
    accounts.set_role(admin, helper, "moderator", "Joined the team")
    page = admin_client.get("/moderation/audit").text
    for words in ("Hid", "Unkind words.", "Warned", "Please be gentle.", "Changed a role", "registered → moderator",
                  "Joined the team", "Morgan", "Kim", "Alex"):
        assert words in page, words
    by_kim = admin_client.get(f"/moderation/audit?actor={kim.id}").text
    assert "Please be gentle." in by_kim and "Unkind words." not in by_kim
    roles = admin_client.get("/moderation/audit?action=set_role").text
    assert "Joined the team" in roles and "Unkind words." not in roles
    about_sam = admin_client.get("/moderation/audit?member=SAM@example.org").text
    assert "Unkind words." in about_sam and "Please be gentle." in about_sam and "Joined the team" not in about_sam
    content = admin_client.get(f"/moderation/audit?target_type={KIND}").text
    assert "Unkind words." in content and "Please be gentle." not in content
    today = utcnow().date()
    assert "Unkind words." in admin_client.get(f"/moderation/audit?since={today}&until={today}").text
    tomorrow = today + timedelta(days=2)
    assert "No entries match" in admin_client.get(f"/moderation/audit?since={tomorrow}").text
    unknown = admin_client.get("/moderation/audit?member=nobody@example.org")
    assert unknown.status_code == 400 and "There is no account with that email address" in unknown.text
    assert 'value="nobody@example.org"' in unknown.text
    bad_date = admin_client.get("/moderation/audit?since=yesterday")
    assert bad_date.status_code == 400 and "Enter a real date" in bad_date.text


def test_the_audit_log_shows_fifty_a_page_and_keeps_the_filters(admin_client, db):
    sam = agreed_member()
    mod = moderator()
    for number in range(55):
        moderation.add_member_note(mod, sam, f"Note {number}")
    first = admin_client.get("/moderation/audit?action=moderation.note")
    assert first.text.count("<tr>") == 51  # the header row and fifty entries
    assert 'href="/moderation/audit?page=2&amp;action=moderation.note"' in first.text or \
        'href="/moderation/audit?action=moderation.note&amp;page=2"' in first.text
    second = admin_client.get("/moderation/audit?action=moderation.note&page=2").text
    assert second.count("<tr>") == 6 and "Newer entries" in second and "Older entries" not in second


def test_the_audit_log_costs_the_same_queries_however_many_entries(admin_client, db, count_queries):
    mod, sam = moderator(), agreed_member()
    moderation.add_member_note(mod, sam, "One")
    with count_queries() as few:
        admin_client.get("/moderation/audit")
    for number in range(10):
        moderation.act_on_member(moderator(), agreed_member(), "warn", f"Warning {number}")
    with count_queries() as many:
        admin_client.get("/moderation/audit")
    assert len(many) == len(few)


def test_admins_add_and_remove_watched_words(admin_client, db):
    response = submit(admin_client, "/moderation/watched-words", {"phrase": "  Cheap   MEDS ", "action": "block"})
    assert response.status_code == 302
    word = db.session.scalar(db.select(WatchedWord))
    assert (word.phrase, word.action) == ("cheap meds", "block")
    page = admin_client.get("/moderation/watched-words").text
    assert "cheap meds" in page and "suicidal" in page  # the built-in crisis wording is listed
    again = submit(admin_client, "/moderation/watched-words", {"phrase": "cheap meds", "action": "hold"})
    assert again.status_code == 400 and "already watched" in again.text
    submit(admin_client, f"/moderation/watched-words/{word.id}/remove", {}, page="/moderation/watched-words")
    assert db.session.scalar(db.select(db.func.count(WatchedWord.id))) == 0
    actions = list(db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.target_type == "watched_word")))
    assert actions == ["moderation.watched_word_added", "moderation.watched_word_removed"]


def test_crisis_wording_can_never_be_blocked(admin_client, db):
    response = submit(admin_client, "/moderation/watched-words", {"phrase": "I want to die", "action": "block"})
    assert response.status_code == 400 and "Crisis wording is never blocked" in response.text
    assert 'value="I want to die"' in response.text
    assert db.session.scalar(db.select(db.func.count(WatchedWord.id))) == 0
    assert submit(admin_client, "/moderation/watched-words", {"phrase": "I want to die",
                                                               "action": "crisis"}).status_code == 302
    response = submit(admin_client, "/moderation/watched-words", {"phrase": "", "action": "block"})
    assert response.status_code == 400 and "Please type the word or phrase" in response.text


def test_watched_words_block_hold_and_flag_but_crisis_wording_still_goes_up(admin_client, db):
    admin = admin_client.admin
    moderation.add_watched_word(admin, "cheap meds", "block")
    moderation.add_watched_word(admin, "my shop", "hold")
    moderation.add_watched_word(admin, "miracle", "flag")
    writer = agreed_member()
    with pytest.raises(moderation.ContentBlocked) as refused:
        moderation.review_new_content(KIND, writer, "Get CHEAP meds here")
    assert "cheap meds" in refused.value.message and refused.value.field == "body"
    assert moderation.review_new_content(KIND, writer, "Visit my shop").state == "pending"
    assert moderation.review_new_content(KIND, writer, "A miracle!").flagged_words == ["miracle"]
    crisis = moderation.review_new_content(KIND, writer, "cheap meds, I want to die")
    assert crisis.crisis and crisis.state == "visible"
    assert not moderation.review_new_content(KIND, moderator(), "cheap meds").flagged_words


def test_settings_are_checked_with_friendly_messages(admin_client, db):
    page = admin_client.get("/moderation/settings").text
    assert 'value="0"' in page and 'value="3"' in page  # held_first_posts is 0 in these tests; flags_to_hide 3
    response = submit(admin_client, "/moderation/settings", {"held_first_posts": "lots", "flags_to_hide": "1"})
    assert response.status_code == 400 and "Error:" in response.text
    assert "Enter a whole number" in response.text and "from 2 to 20" in response.text
    assert 'value="lots"' in response.text
    assert moderation.setting("flags_to_hide") == 3
    response = submit(admin_client, "/moderation/settings", {"held_first_posts": "1", "flags_to_hide": "5"})
    assert response.status_code == 302
    assert (moderation.setting("held_first_posts"), moderation.setting("flags_to_hide")) == (1, 5)
    details = db.session.scalars(db.select(AuditEntry.detail).where(
        AuditEntry.actor_id == admin_client.admin.id, AuditEntry.action == "moderation.setting")).all()
    assert details == ["held_first_posts: 0 → 1", "flags_to_hide: 3 → 5"]


def test_the_command_line_shows_and_changes_settings_and_words(runner, db):
    result = runner.invoke(args=["moderation", "settings"])
    assert result.exit_code == 0 and "flags_to_hide = 3" in result.output
    result = runner.invoke(args=["moderation", "set", "flags_to_hide", "4"])
    assert result.exit_code == 0 and moderation.setting("flags_to_hide") == 4
    result = runner.invoke(args=["moderation", "set", "flags_to_hide", "99"])
    assert result.exit_code != 0 and "from 2 to 20" in result.output
    result = runner.invoke(args=["moderation", "add-word", "cheap meds", "block"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["moderation", "add-word", "kill myself", "block"])
    assert result.exit_code != 0 and "Crisis wording is never blocked" in result.output
    result = runner.invoke(args=["moderation", "words"])
    assert "block   cheap meds" in result.output and "suicidal" in result.output
    result = runner.invoke(args=["moderation", "remove-word", "Cheap Meds"])
    assert result.exit_code == 0 and moderation.watched_words() == []
    assert "held_first_posts" in runner.invoke(args=["moderation", "set", "--help"]).output
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.detail == "flags_to_hide: 3 → 4"))
    assert entry is not None and entry.actor_id is None
