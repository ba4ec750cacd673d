"""Forum posts under moderation, end to end: a newcomer's first posts wait for a moderator, watched words hold,
refuse or flag, crisis wording shows the writer where to find help, members' flags hide a post, a moderator's
decision changes what each person sees, and a silenced member reads but does not write until the pause ends."""

import dataclasses
from datetime import timedelta

import pytest

from community.extensions import utcnow
from community.forums import kinds, notify
from community.forums import services as forums
from community.forums.models import Category, Post, PostRevision, Thread
from community.moderation import registry
from community.moderation import services as moderation
from community.moderation.models import QueueItem
from community.notifications.models import Notification
from tests.conftest import submit
from tests.factories import make_member
from tests.forums.forum_data import agreed_member, make_category, make_thread
from tests.moderation.moderation_data import KIND, a_post, flag, moderator, open_item

CRISIS_PANEL = 'aria-labelledby="crisis-panel-title"'

pytestmark = pytest.mark.usefixtures("posts_go_up_at_once", "in_a_request")


@pytest.fixture
def in_a_request(app):
    """Moderation's services build links with url_for: called from a test, they run inside a request, as from a
    route."""
    with app.test_request_context():
        yield


@pytest.fixture
def people(app, login):
    """A logged-in test client for the author (a member), another member, a moderator, and someone logged out."""
    author, reader, staff = (agreed_member(display_name="Sam"), agreed_member(display_name="Reader"),
                             moderator(display_name="Morgan"))
    clients = {"anonymous": app.test_client()}
    for role, person in (("author", author), ("reader", reader), ("moderator", staff)):
        clients[role] = app.test_client()
        assert login(person, the_client=clients[role]).status_code == 302
    return {"author": author, "reader": reader, "moderator": staff, "as": clients}


def hold_newcomers_first_posts():
    """Back to the default (`posts_go_up_at_once` turned it off)."""
    moderation.set_setting(None, "held_first_posts", moderation.SETTINGS["held_first_posts"][1])


def decide(staff, post_id: int, decision: str, reason: str = "", **extra) -> QueueItem:
    item = moderation._find_open_item(KIND, post_id)
    return moderation.decide(staff, item.id, item.version, decision, reason, **extra)


def sees(people, role: str, post: Post, words: str) -> bool:
    """Whether `role` finds `words` on the post's thread page (a 404 or a redirect to log in shows nothing)."""
    response = people["as"][role].get(f"/forums/t/{post.thread_id}")
    return response.status_code == 200 and words in response.text


def thread_page(people, role: str, post: Post) -> str:
    return people["as"][role].get(f"/forums/t/{post.thread_id}").text


# A newcomer's first posts -------------------------------------------------------------------------------------

def test_a_new_members_first_two_posts_wait_for_a_moderator_then_go_up_for_everyone(people, db):
    assert moderation.SETTINGS["held_first_posts"][1] == 2
    hold_newcomers_first_posts()
    category = make_category()
    watcher = make_member(display_name="Watcher")
    notify.watch_category(watcher, category)
    response = submit(people["as"]["author"], f"/forums/{category.slug}/new", {
        "title": "Hello from a newcomer", "body": "My first words about blood patches.", "action": "post"})
    assert response.status_code == 302
    post = db.session.scalar(db.select(Post).where(Post.author_id == people["author"].id))
    assert post.state == "pending"
    # The author sees it waiting; nobody else but moderators sees it anywhere.
    mine = people["as"]["author"].get(response.location, follow_redirects=True).text
    assert "Waiting for a moderator" in mine and "My first words about blood patches." in mine
    reader, anonymous = people["as"]["reader"], people["as"]["anonymous"]
    assert reader.get(f"/forums/t/{post.thread_id}").status_code == 404
    assert reader.get(f"/forums/p/{post.id}").status_code == 404
    assert "Hello from a newcomer" not in reader.get(f"/forums/{category.slug}").text
    assert "first words about" not in reader.get("/search?q=blood+patches").text
    assert "My first words" not in anonymous.get(f"/forums/t/{post.thread_id}", follow_redirects=True).text
    assert anonymous.get(f"/forums/p/{post.id}").status_code == 302  # to log in or join, never the post
    assert sees(people, "moderator", post, "My first words about blood patches.")
    assert db.session.get(Category, category.id).thread_count == 0
    # The second post waits too; a moderator's never does.
    second = forums.create_post(people["author"], db.session.get(Thread, post.thread_id), "Second words.")
    assert second.state == "pending"
    assert forums.create_post(people["moderator"], db.session.get(Thread, post.thread_id), "Welcome!").state \
        == "visible"
    item = open_item(post)
    assert item.reason == "held" and "first 2 posts" in item.note

    decided = decide(people["moderator"], post.id, "approve")
    assert decided.status == "closed" and decided.outcome == "approve"
    assert db.session.get(Post, post.id).state == "visible"
    assert sees(people, "reader", post, "My first words about blood patches.")
    assert reader.get(f"/forums/p/{post.id}").status_code == 302
    assert "Hello from a newcomer" in reader.get(f"/forums/{category.slug}").text
    assert "first words about" in reader.get("/search?q=blood+patches").text
    category = db.session.get(Category, category.id)
    thread = db.session.get(Thread, post.thread_id)
    assert (category.thread_count, category.post_count) == (1, 2)  # the first post and the moderator's reply
    assert thread.last_visible_number == 3 and thread.reply_count == 1
    # The category's watcher is told once, when it goes up (and not again if it were published twice).
    url = f"/forums/p/{post.id}"
    notify.post_published(post.id)
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.user_id == watcher.id, Notification.url == url)) == 1
    # Approving the second too makes Sam an established member: the third goes up at once.
    decide(people["moderator"], second.id, "approve")
    assert forums.create_post(people["author"], thread, "Third words.").state == "visible"
    assert db.session.get(Thread, thread.id).reply_count == 3


def test_approving_a_post_its_author_deleted_meanwhile_changes_nothing_and_says_so(people, db, monkeypatch):
    hold_newcomers_first_posts()
    first = make_thread(people["moderator"], make_category())
    held = forums.create_post(people["author"], forums.get_thread(people["author"], first.thread_id), "Oops.")
    forums.delete_post(people["author"], forums.get_post(people["author"], held.id))
    # The queue shows it as gone, so approving it is refused.
    assert moderation.queue()[0].content.state == "deleted"
    with pytest.raises(moderation.ModerationError, match="Only content waiting for approval"):
        decide(people["moderator"], held.id, "approve")
    db.session.rollback()
    # Deleted at the very moment of approval (moderation still read it as waiting): nothing goes up, it says so.
    kind = registry.get(KIND)
    as_read_before = dataclasses.replace(kind, load_many=lambda ids: {
        key: dataclasses.replace(content, state="pending") for key, content in kind.load_many(ids).items()})
    monkeypatch.setitem(registry._kinds, KIND, as_read_before)
    item = decide(people["moderator"], held.id, "approve")
    assert item.outcome == "withdrawn"
    post = db.session.get(Post, held.id)
    assert post.state == "pending" and post.deleted_at is not None
    assert not sees(people, "reader", post, "Oops.") and "deleted by its author" not in thread_page(
        people, "reader", post)
    assert db.session.get(Thread, post.thread_id).reply_count == 0


def test_a_declined_post_stays_unseen_its_author_sees_why_and_an_appeal_can_publish_it(people, db):
    hold_newcomers_first_posts()
    first = make_thread(people["moderator"], make_category())
    held = forums.create_post(people["author"], forums.get_thread(people["author"], first.thread_id),
                              "Buy my tonic.")
    decide(people["moderator"], held.id, "decline", "Please do not advertise here.")
    post = db.session.get(Post, held.id)
    assert post.state == "pending" and post.hidden_at is not None
    assert not sees(people, "reader", post, "Buy my tonic.")
    mine = thread_page(people, "author", post)
    assert "A moderator did not approve this post." in mine and "Please do not advertise here." in mine
    assert 'href="/standing">Ask for this to be looked at again</a>' in mine
    assert f"/p/{held.id}/edit" not in mine  # declined posts cannot be edited
    assert people["as"]["author"].get(f"/forums/p/{held.id}/edit").status_code == 403
    assert "Post not approved" in thread_page(people, "moderator", post)
    # On appeal, another moderator overturns it: it goes up.
    notice = next(n for n in moderation.notices_for(people["author"]) if n.can_appeal)
    appeal = moderation.appeal(people["author"], notice.entry.id, "It was a joke between friends.")
    item = db.session.get(QueueItem, appeal.item_id)
    moderation.decide_appeal(moderator(), item.id, item.version, "overturn", "Fair enough.")
    assert db.session.get(Post, held.id).state == "visible"
    assert sees(people, "reader", post, "Buy my tonic.")


# A moderator's decisions on a post others could see ----------------------------------------------------------

def test_hide_restore_delete_and_edit_change_what_each_person_sees(people, db):
    post = a_post(people["author"], body="Words that worried someone.")
    words = "Words that worried someone."

    flag(people["reader"], post, "unkind")
    decide(people["moderator"], post.id, "hide", "This could upset people.")
    reader = thread_page(people, "reader", post)
    assert words not in reader and "This post was hidden by a moderator." in reader
    author = thread_page(people, "author", post)
    assert words in author and "Hidden by a moderator" in author and "This could upset people." in author
    assert "Ask for this to be looked at again" in author
    staff = thread_page(people, "moderator", post)
    assert "<summary>What it said (moderators only)</summary>" in staff and words in staff
    assert staff.index("What it said") < staff.index(words)  # folded
    assert db.session.get(Thread, post.thread_id).last_visible_number == 1  # a placeholder, still a thread

    flag(moderator(), post, "other", "Please look again.")  # hidden: only moderators can still flag it
    decide(people["moderator"], post.id, "restore", "Looked again: fine.")
    assert sees(people, "reader", post, words) and "Hidden" not in thread_page(people, "reader", post)

    flag(people["reader"], post, "unkind")
    decide(people["moderator"], post.id, "delete", "Against our guidelines.")
    for role in ("reader", "author"):
        page = thread_page(people, role, post)
        assert words not in page and "This post was removed by a moderator." in page
        assert "deleted by its author" not in page
    assert "Ask for this to be looked at again" in thread_page(people, "author", post)
    assert words in thread_page(people, "moderator", post)
    assert db.session.get(Category, post.thread.category_id).post_count == 0

    other = a_post(people["author"], body="Ring me on this number.")
    flag(people["reader"], other, "personal_details")
    decide(people["moderator"], other.id, "edit", "Took the number out.", text="Ring me (number removed).")
    for role in ("reader", "author", "moderator"):
        page = thread_page(people, role, other)
        assert "Ring me (number removed)." in page and "Ring me on this number." not in page and "edited" in page
    [revision] = db.session.scalars(db.select(PostRevision).where(PostRevision.post_id == other.id))
    assert revision.body == "Ring me on this number." and revision.edited_by_id == people["moderator"].id


def test_an_author_deleting_a_hidden_post_is_not_shown_as_a_moderators_removal(people, db):
    post = a_post(people["author"], body="Second thoughts.")
    flag(people["reader"], post, "unkind")
    decide(people["moderator"], post.id, "hide", "Unkind.")
    forums.delete_post(people["author"], forums.get_post(people["author"], post.id))
    assert "This post was deleted by its author." in thread_page(people, "reader", post)
    with pytest.raises(moderation.ModerationError, match="author deleted"):
        kinds.restore(post.id, people["moderator"])


# Watched words ------------------------------------------------------------------------------------------------

def test_a_hold_word_holds_an_established_members_post_and_editing_never_frees_a_held_post(people, db):
    moderation.add_watched_word(people["moderator"], "miracle cure", "hold")
    first = a_post(people["author"], body="Lying flat again today.")
    thread = forums.get_thread(people["author"], first.thread_id)
    held = forums.create_post(people["author"], thread, "Try this Miracle  Cure.")
    assert held.state == "pending" and "miracle cure" in open_item(held).note
    assert not sees(people, "reader", held, "Miracle")
    # Editing the watched words away does not let it skip the moderator.
    assert forums.edit_post(people["author"], forums.get_post(people["author"], held.id), "Try resting.")
    assert db.session.get(Post, held.id).state == "pending" and not sees(people, "reader", held, "Try resting.")
    # A visible post edited into a hold phrase goes back to waiting.
    forums.edit_post(people["author"], forums.get_post(people["author"], first.id), "A miracle cure for all.")
    assert db.session.get(Post, first.id).state == "pending"
    assert people["as"]["reader"].get(f"/forums/t/{first.thread_id}").status_code == 404


def test_a_block_word_is_refused_kindly_nothing_is_saved_and_the_words_stay(people, db):
    moderation.add_watched_word(people["moderator"], "buy now", "block")
    first = a_post(make_member(), body="How was your week?")
    before = db.session.scalar(db.select(db.func.count(Post.id)))
    response = submit(people["as"]["author"], f"/forums/t/{first.thread_id}/reply",
                      {"body": "Great week. Buy now at my shop!", "action": "post"})
    assert response.status_code == 400
    assert "Error:" in response.text and "which our community guidelines do not allow here" in response.text
    assert "Great week. Buy now at my shop!</textarea>" in response.text
    assert db.session.scalar(db.select(db.func.count(Post.id))) == before
    assert db.session.scalar(db.select(db.func.count(QueueItem.id))) == 0


def test_a_flag_word_posts_and_opens_a_queue_item(people, db):
    moderation.add_watched_word(people["moderator"], "dosage", "flag")
    post = a_post(people["author"], body="What dosage of caffeine helps you?")
    assert post.state == "visible" and sees(people, "reader", post, "What dosage of caffeine")
    item = open_item(post)
    assert item.reason == "watched_word" and "dosage" in item.note


# Crisis wording -----------------------------------------------------------------------------------------------

def test_crisis_wording_shows_the_writer_help_and_goes_to_the_top_of_the_queue(people, db):
    older = a_post(make_member(), body="Something else entirely.")
    flag(people["reader"], older, "spam")
    first = a_post(make_member(), body="How is everyone doing?")
    response = submit(people["as"]["author"], f"/forums/t/{first.thread_id}/reply",
                      {"body": "Honestly, I want to end my life.", "action": "post"})
    # The page opens at the help (scrolled to it), not at the post further down.
    assert response.status_code == 302 and response.location.endswith("#help-now")
    page = people["as"]["author"].get(response.location, follow_redirects=True).text
    panel = page[page.index("<section class=\"banner\" id=\"help-now\" " + CRISIS_PANEL):]
    panel = panel[:panel.index("</section>")]
    assert "Help is here if you need it" in panel and 'role="alert"' not in panel
    for words in ('href="tel:999"', 'href="tel:111"', "116 123", "Text SHOUT to", "85258", 'href="/need-help"'):
        assert words in panel
    assert page.index(CRISIS_PANEL) < page.index("<h1")
    # The post goes up all the same, and moderators see it first.
    post = db.session.scalar(db.select(Post).where(Post.author_id == people["author"].id))
    assert post.state == "visible" and sees(people, "reader", post, "I want to end my life.")
    top = moderation.queue()[0]
    assert top.item.safety and top.item.target_id == post.id and top.item.kind == KIND
    # Only once: the next page is calm again.
    assert CRISIS_PANEL not in people["as"]["author"].get(f"/forums/t/{first.thread_id}").text


def test_the_need_help_page_keeps_its_list(client, db):
    page = client.get("/need-help").text
    assert page.count('<ul class="help-list">') == 1 and "Text SHOUT to" in page and CRISIS_PANEL not in page


# Members' flags -----------------------------------------------------------------------------------------------

def test_three_members_flagging_a_post_hide_it_and_an_author_cannot_flag_their_own(people, db):
    post = a_post(people["author"], body="A post some found unkind.")
    flag_link = f'href="/moderation/flag/{KIND}/{post.id}" aria-describedby="post-1">Flag</a>'
    assert flag_link in thread_page(people, "reader", post)
    assert flag_link not in thread_page(people, "author", post)
    with pytest.raises(moderation.ModerationError, match="cannot flag your own"):
        flag(people["author"], post)
    for flagger in (make_member(), make_member()):
        flag(flagger, post)
    assert sees(people, "reader", post, "A post some found unkind.")
    flag(people["reader"], post)
    assert db.session.get(Post, post.id).state == "hidden"
    reader = thread_page(people, "reader", post)
    assert "A post some found unkind." not in reader
    assert "This post is hidden until a moderator has looked at it." in reader
    assert "Several members flagged this" in thread_page(people, "author", post)


# A silenced member ---------------------------------------------------------------------------------------------

def test_a_silenced_member_reads_but_cannot_write_until_the_pause_ends(people, db):
    member = people["author"]
    first = a_post(make_member(), body="Share your tips.")
    own = a_post(member, body="My own post.")
    moderation.act_on_member(people["moderator"], member, "silence", "Please take a short break.", days=3)
    client = people["as"]["author"]
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert "Share your tips." in page and "A moderator has paused your posting until" in page
    assert 'name="react"' not in page and "/reply?quote=" not in page and 'name="body"' not in page
    reply_page = client.get(f"/forums/t/{first.thread_id}/reply").text
    assert "A moderator has paused your posting" in reply_page and 'name="body"' not in reply_page
    assert "You can still read" in client.get(f"/forums/{first.thread.category.slug}/new").text
    assert "/edit" not in thread_page(people, "author", own)
    assert "A moderator has paused your posting" in client.get(f"/forums/p/{own.id}/edit").text

    response = submit(client, f"/forums/t/{first.thread_id}/reply", {"body": "My tip: lie flat.", "action": "post"},
                      page=f"/forums/t/{first.thread_id}")
    assert response.status_code == 400 and "A moderator has paused your posting" in response.text
    assert "My tip: lie flat.</textarea>" in response.text
    response = submit(client, f"/forums/t/{first.thread_id}/react", {"react": f"{first.id}:support"},
                      page=f"/forums/t/{first.thread_id}", follow_redirects=True)
    assert "A moderator has paused your posting" in response.text
    with pytest.raises(forums.ForumError, match="paused your posting"):
        forums.toggle_reaction(member, forums.get_post(member, first.id), "support")
    assert db.session.scalar(db.select(db.func.count(Post.id)).where(Post.author_id == member.id)) == 1

    # Time passes: the pause ends by itself.
    member.restricted_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = submit(client, f"/forums/t/{first.thread_id}/reply", {"body": "My tip: lie flat.", "action": "post"})
    assert response.status_code == 302
    assert forums.toggle_reaction(member, forums.get_post(member, first.id), "support") is True
