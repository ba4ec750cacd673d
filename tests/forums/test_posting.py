"""Writing: a new thread and a reply, the guidelines first, preview, quoting, content notes, the warning about
contact details, locked threads, length limits and the posting limit; nothing typed is lost on a failed submit."""

import re

import pytest

from community.forums import notify
from community.forums import services as forums
from community.forums.models import Post, Thread
from community.moderation.services import Review
from community.pages import services as pages
from tests.conftest import csrf_token_from, submit
from tests.factories import make_member, make_user
from tests.forums.forum_data import agreed_member, make_category, make_thread


@pytest.fixture
def published(monkeypatch):
    """The calls to notify.post_published, as (post id, quoted post id)."""
    calls = []
    monkeypatch.setattr(notify, "post_published", lambda post_id, quoted_post_id=None: calls.append(
        (post_id, quoted_post_id)))
    return calls


def test_a_member_starts_a_thread(client, login, db, published):
    category = make_category()
    login(agreed_member(display_name="Sam"))
    response = submit(client, f"/forums/{category.slug}/new", {
        "title": "  Eight months after an epidural ", "body": "Hello.\r\n\r\nI am **new** here.", "action": "post"})
    assert response.status_code == 302
    post = db.session.scalar(db.select(Post))
    assert post.thread.title == "Eight months after an epidural" and post.number == 1
    assert post.body == "Hello.\n\nI am **new** here." and "<strong>new</strong>" in post.body_html
    assert response.location == f"/forums/t/{post.thread_id}#post-1"
    assert published == [(post.id, None)]
    page = client.get(response.location).text
    assert "Your post is up" in page and "Eight months after an epidural" in page


def test_a_member_replies_and_lands_on_their_post(client, login, db, published):
    first = make_thread(make_member(), make_category(), replies=21)
    login(agreed_member())
    response = submit(client, f"/forums/t/{first.thread_id}/reply", {"body": "Sending you strength.",
                                                                     "action": "post"})
    assert response.status_code == 302
    assert response.location == f"/forums/t/{first.thread_id}?page=2#post-23"
    thread = db.session.get(Thread, first.thread_id)
    assert thread.reply_count == 22 and thread.last_visible_number == 23


def test_before_a_first_post_the_member_agrees_to_the_guidelines(client, login, db):
    pages.seed_pages()
    category = make_category()
    first = make_thread(make_member(), category)
    login(make_member())
    response = client.get(f"/forums/{category.slug}/new")
    assert response.status_code == 302 and response.location.startswith("/guidelines?next=")
    # The thread page offers a way in rather than a form that would be refused.
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert "Before your first post, please read our community guidelines" in page and 'name="body"' not in page
    agreed = submit(client, f"/guidelines/agree?next=/forums/{category.slug}/new", {}, page="/guidelines")
    assert agreed.location == f"/forums/{category.slug}/new"
    assert client.get(f"/forums/{category.slug}/new").status_code == 200


def test_a_post_sent_without_agreeing_keeps_its_words(client, login, db):
    category = make_category()
    member = agreed_member()
    login(member)
    form = client.get(f"/forums/{category.slug}/new").text
    from community.pages.models import GuidelinesAcceptance

    db.session.execute(db.delete(GuidelinesAcceptance))
    db.session.commit()
    response = client.post(f"/forums/{category.slug}/new", data={
        "title": "Words I typed", "body": "A long careful post.", "action": "post",
        "csrf_token": csrf_token_from(form)})
    assert response.status_code == 403
    assert "Words I typed" in response.text and "A long careful post." in response.text
    assert "please agree to our community guidelines" in response.text
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_preview_shows_the_post_and_saves_nothing(client, login, db):
    category = make_category()
    login(agreed_member())
    response = submit(client, f"/forums/{category.slug}/new", {
        "title": "A title", "body": "Some *careful* words", "content_note": "mentions of loss", "action": "preview"})
    assert response.status_code == 200
    assert "Preview – not posted yet" in response.text and "<em>careful</em>" in response.text
    assert "Content note: mentions of loss. Open to read" in response.text
    # The form comes back filled in.
    assert "Some *careful* words</textarea>" in response.text and 'value="A title"' in response.text
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_a_failed_submit_keeps_everything_typed(client, login, db):
    category = make_category()
    login(agreed_member())
    response = submit(client, f"/forums/{category.slug}/new", {
        "title": "", "body": "Everything I wanted to say.", "content_note": "a loss", "action": "post"})
    assert response.status_code == 400
    assert "<title>Error: " in response.text and "Enter a title for your thread" in response.text
    assert "Everything I wanted to say.</textarea>" in response.text and 'value="a loss"' in response.text


def test_limits_are_explained_kindly(client, login, db):
    category = make_category()
    login(agreed_member())
    long_body = "word " * 4001
    response = submit(client, f"/forums/{category.slug}/new", {"title": "x" * 151, "body": long_body,
                                                                "action": "post"})
    assert response.status_code == 400
    assert "It can be up to 150" in response.text
    assert "Your post is 20,004 characters long. It can be up to 20,000: please shorten it a little, or split it " \
           "into two posts." in response.text
    with pytest.raises(forums.ForumError):
        forums.create_thread(make_member(), category, "Fine", long_body)


def test_quoting_prefills_the_reply_and_tells_who_was_quoted(client, login, db, published):
    first = make_thread(make_member(display_name="Sam"), make_category(), body="First line.\nSecond line.")
    login(agreed_member())
    thread_page = client.get(f"/forums/t/{first.thread_id}").text
    assert f'href="{first.thread_id}/reply?quote={first.id}#body"' in thread_page  # relative to /forums/t/
    form = client.get(f"/forums/t/{first.thread_id}/reply?quote={first.id}").text
    assert "&gt; **Sam** wrote:\n&gt;\n&gt; First line.\n&gt; Second line.\n" in form
    assert f'name="quoted_post_id" value="{first.id}"' in form
    response = client.post(f"/forums/t/{first.thread_id}/reply", data={
        "body": "> **Sam** wrote:\n> First line.\n\nSame for me.", "quoted_post_id": str(first.id), "action": "post",
        "csrf_token": csrf_token_from(form)})
    assert response.status_code == 302
    reply = db.session.scalar(db.select(Post).where(Post.number == 2))
    assert "<blockquote>" in reply.body_html
    assert published == [(reply.id, first.id)]


def test_a_quoted_post_from_another_thread_is_ignored(client, login, db, published):
    category = make_category()
    first = make_thread(make_member(), category)
    elsewhere = make_thread(make_member(), category, "Another")
    login(agreed_member())
    form = client.get(f"/forums/t/{first.thread_id}/reply?quote={elsewhere.id}").text
    assert 'name="quoted_post_id"' not in form
    response = submit(client, f"/forums/t/{first.thread_id}/reply", {
        "body": "Hello", "quoted_post_id": str(elsewhere.id), "action": "post"})
    assert response.status_code == 302 and published[-1][1] is None


def test_a_content_note_folds_the_post(client, login, db):
    category = make_category()
    login(agreed_member())
    submit(client, f"/forums/{category.slug}/new", {"title": "A hard week", "body": "It was hard.",
                                                     "content_note": "mentions of self-harm.", "action": "post"})
    post = db.session.scalar(db.select(Post))
    page = client.get(f"/forums/t/{post.thread_id}").text
    assert re.search(r'<details class="content-note"><summary>Content note: mentions of self-harm\. Open to read'
                     r'</summary>\s*<div class="prose"><p>It was hard\.</p>', page)


@pytest.mark.parametrize("text", ["Email me at sam.smith@example.org", "Ring me on 07700 900123",
                                  "My number is +44 7700 900 123", "Call (01632) 960001 after six"])
def test_contact_details_are_warned_about_before_posting(client, login, db, published, text):
    first = make_thread(make_member(), make_category())
    login(agreed_member())
    response = submit(client, f"/forums/t/{first.thread_id}/reply", {"body": text, "action": "post"})
    assert response.status_code == 200
    assert "It looks like your post includes an email address or phone number. Others will see it. Post anyway?" \
        in response.text
    assert f"{text}</textarea>" in response.text and 'name="confirm_contact" value="yes"' in response.text
    assert ">Post anyway</button>" in response.text
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 1 and not published
    confirmed = client.post(f"/forums/t/{first.thread_id}/reply", data={
        "body": text, "confirm_contact": "yes", "action": "post", "csrf_token": csrf_token_from(response.text)})
    assert confirmed.status_code == 302
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 2


@pytest.mark.parametrize("text", ["Call 999 in an emergency, or NHS 111, or Samaritans on 116 123.",
                                  "My patch was on 12-03-2024 at 10.30", "I lost 2,000 ml over 3 days",
                                  "Dose: 0.5 mg twice"])
def test_ordinary_numbers_are_not_taken_for_contact_details(text):
    assert forums.contact_details_in(text) == []


def test_a_locked_thread_refuses_replies_except_from_moderators(app, client, login, db):
    first = make_thread(make_member(), make_category())
    moderator = make_user(role="moderator", two_factor_on=False)
    thread = forums.get_thread(moderator, first.thread_id)
    forums.set_thread_locked(moderator, thread, True)
    member = agreed_member()
    with pytest.raises(forums.ForumError):
        forums.create_post(member, forums.get_thread(member, thread.id), "Hello?")
    with pytest.raises(forums.ForumError):
        forums.get_thread_for_reply(member, thread.id)
    assert forums.get_thread_for_reply(moderator, thread.id).id == thread.id
    login(member)
    page = client.get(f"/forums/t/{thread.id}").text
    assert "locked by a moderator" in page and 'name="body"' not in page
    assert client.get(f"/forums/t/{thread.id}/reply").status_code == 302
    refused = client.post(f"/forums/t/{thread.id}/reply", data={
        "body": "My careful words", "action": "post", "csrf_token": csrf_token_from(page)})
    assert refused.status_code == 400 and "My careful words</textarea>" in refused.text
    assert "locked by a moderator" in refused.text
    forums.create_post(moderator, forums.get_thread(moderator, thread.id), "We have locked this thread.")


def test_posting_is_limited_per_member_without_losing_words(client, login, db):
    first = make_thread(make_member(), make_category())
    login(agreed_member())
    page = client.get(f"/forums/t/{first.thread_id}").text
    token = csrf_token_from(page)
    for number in range(10):
        assert client.post(f"/forums/t/{first.thread_id}/reply", data={
            "body": f"Reply {number}", "action": "post", "csrf_token": token}).status_code == 302
    # Previews never count.
    assert client.post(f"/forums/t/{first.thread_id}/reply", data={
        "body": "Preview me", "action": "preview", "csrf_token": token}).status_code == 200
    refused = client.post(f"/forums/t/{first.thread_id}/reply", data={
        "body": "The eleventh", "action": "post", "csrf_token": token})
    assert refused.status_code == 429
    assert "You have posted a lot in a short time" in refused.text and "The eleventh</textarea>" in refused.text
    # Another member is not held up.
    login(agreed_member(), the_client=(other := client.application.test_client()))
    assert submit(other, f"/forums/t/{first.thread_id}/reply", {"body": "Me too", "action": "post"}).status_code \
        == 302


def test_a_held_post_is_seen_only_by_its_author_and_moderators(client, login, db, published, monkeypatch):
    from community.forums import services

    first = make_thread(make_member(), make_category())
    monkeypatch.setattr(services, "review_new_content", lambda *args, **kwargs: Review(state="pending"))
    author = agreed_member(display_name="Newcomer")
    login(author)
    response = submit(client, f"/forums/t/{first.thread_id}/reply", {"body": "My first words here.",
                                                                     "action": "post"})
    assert "waiting for a moderator" in client.get(response.location).text
    assert not published
    page = client.get(f"/forums/t/{first.thread_id}").text
    assert "My first words here." in page and "Waiting for a moderator" in page
    thread = db.session.get(Thread, first.thread_id)
    assert thread.reply_count == 0 and thread.last_visible_number == 1
    reader = make_member()
    login(reader, the_client=(other := client.application.test_client()))
    assert "My first words here." not in other.get(f"/forums/t/{first.thread_id}").text
    moderator = make_user(role="moderator", two_factor_on=False)
    login(moderator, the_client=(mod := client.application.test_client()))
    assert "My first words here." in mod.get(f"/forums/t/{first.thread_id}").text


def test_a_held_new_thread_is_listed_only_for_its_author_and_moderators(client, login, db, monkeypatch):
    from community.forums import services

    category = make_category()
    monkeypatch.setattr(services, "review_new_content", lambda *args, **kwargs: Review(state="pending"))
    author = agreed_member()
    first = forums.create_thread(author, category, "Held thread", "Words")
    assert db.session.get(type(category), category.id).thread_count == 0
    login(author)
    assert "Held thread" in client.get(f"/forums/{category.slug}").text
    login(make_member(), the_client=(other := client.application.test_client()))
    assert "Held thread" not in other.get(f"/forums/{category.slug}").text
    assert other.get(f"/forums/t/{first.thread_id}").status_code == 404


def test_markdown_in_posts_is_made_safe(client, login, db):
    category = make_category()
    login(agreed_member())
    submit(client, f"/forums/{category.slug}/new", {
        "title": "Links", "body": '<script>alert(1)</script> [x](javascript:alert(1)) ![img](https://evil.example/a.png)'
                                  ' [ok](https://example.org)', "action": "post"})
    post = db.session.scalar(db.select(Post))
    assert "<script" not in post.body_html and 'href="javascript' not in post.body_html and "<img" not in post.body_html
    assert 'rel="nofollow ugc noopener"' in post.body_html
