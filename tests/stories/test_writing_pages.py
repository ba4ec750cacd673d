"""The author's pages (community/stories/writing.py): who may open them, a story that is not yours answers 404,
words are never lost, the autosave makes one story and then updates it, consent to publish is recorded only when
given, and withdrawal."""

import re

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.stories import services as stories
from community.stories.models import Story, StoryConsent
from tests.conftest import csrf_token_from, submit
from tests.factories import make_member, make_user

PAGES = ["/my/stories", "/my/stories/new", "/my/stories/{id}/edit", "/my/stories/{id}/share"]
POSTS = ["/my/stories/new", "/my/stories/{id}/edit", "/my/stories/{id}/share", "/my/stories/{id}/withdraw",
         "/my/stories/autosave"]


def _story(author, title="Three years flat", body="I had a lumbar puncture in 2019 and the headache never left."):
    return stories.save_story(author, title=title, body=body)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _token(client) -> str:
    return csrf_token_from(client.get("/contact").text)


@pytest.mark.parametrize("page", PAGES)
def test_a_visitor_is_sent_to_the_membership_page_and_brought_back(client, db, page):
    url = page.format(id=_story(make_member()).id)
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/membership?next=")


@pytest.mark.parametrize("page", PAGES)
def test_a_registered_person_without_membership_is_sent_to_join(client, as_role, page):
    as_role("registered")
    url = page.format(id=_story(make_member()).id)
    response = client.get(url)
    assert response.status_code == 302 and response.location.startswith("/membership")


@pytest.mark.parametrize("url", POSTS)
def test_posting_without_membership_changes_nothing(client, as_role, url):
    as_role("registered")
    story = _story(make_member())
    response = client.post(url.format(id=story.id), data={"csrf_token": _token(client), "title": "Mine now",
                                                          "body": "Replaced."})
    assert response.status_code == 302 and response.location.startswith("/membership")
    assert db.session.get(Story, story.id).title == "Three years flat" and _count(Story) == 1


@pytest.mark.parametrize("page", PAGES)
def test_a_member_opens_each_page_of_their_own_story(client, as_role, page):
    member = as_role("member")
    story = _story(member)
    response = client.get(page.format(id=story.id))
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_the_same_new_story_form_sent_twice_makes_one_story(client, as_role):
    """With scripts off nothing autosaves, so a double tap on "Save my story" sends the new-story form twice."""
    member = as_role("member")
    page = client.get("/my/stories/new").text
    tag = re.search(r'<input[^>]*name="form_token"[^>]*>', page).group(0)
    data = {"csrf_token": csrf_token_from(page), "form_token": re.search(r'value="([^"]+)"', tag).group(1),
            "title": "Flat on my back", "body": "It started after an epidural."}
    first = client.post("/my/stories/new", data=data)
    second = client.post("/my/stories/new", data={**data, "body": "It started after an epidural in 2021."})
    assert first.status_code == second.status_code == 302
    story = db.session.scalars(select(Story)).one()
    assert story.author_id == member.id and story.body == "It started after an epidural in 2021."
    # Another member sending the same token gets a story of their own and never touches this one.
    other = make_member()
    theirs = stories.save_story(other, title="Mine", body="My words.", form_token=data["form_token"])
    assert theirs.id != story.id and db.session.get(Story, story.id).title == "Flat on my back"


def test_my_stories_lists_each_story_with_who_reads_it_and_where_it_stands(client, as_role):
    member = as_role("member")
    moderator = make_user(role="moderator")
    _story(member, title="Just for me")
    asked = _story(member, title="Asked to change")
    stories.share(member, asked, "public", "initials", consent_version=stories.CONSENT_VERSION)
    stories.request_changes(moderator, asked, "Please remove the hospital's name.")
    page = client.get("/my/stories").text
    assert "Just for me" in page and "Only you can read it." in page
    assert "A moderator asked for a change: “Please remove the hospital&#39;s name.” When" in page
    assert f"Shown as</dt><dd>{stories.initials(member.display_name)}" in page
    assert 'href="/my/stories/new"' in page and "Write a story" in page
    assert 'href="/stories/tell-your-story"' in page
    assert f'href="/my/stories/{asked.id}/share"' in page and f'href="/my/stories/{asked.id}/edit"' in page


@pytest.mark.parametrize("url", ["/my/stories/{id}/edit", "/my/stories/{id}/share"])
def test_another_members_story_is_not_found_not_forbidden(client, as_role, url):
    as_role("member")
    theirs = _story(make_member(), title="Somebody else's")
    for story_id in (theirs.id, theirs.id + 1000, 2**40):
        response = client.get(url.format(id=story_id))
        assert response.status_code == 404
        assert "Somebody else" not in response.text


@pytest.mark.parametrize("url", ["/my/stories/{id}/edit", "/my/stories/{id}/share", "/my/stories/{id}/withdraw"])
def test_posting_to_another_members_story_is_not_found_and_changes_nothing(client, as_role, url):
    as_role("member")
    author = make_member()
    theirs = _story(author)
    stories.share(author, theirs, "public", "name", consent_version=stories.CONSENT_VERSION)
    response = client.post(url.format(id=theirs.id), data={
        "csrf_token": _token(client), "title": "Taken", "body": "Taken.", "audience": "private",
        "attribution": "name"})
    assert response.status_code == 404
    story = db.session.get(Story, theirs.id)
    assert (story.title, story.audience) == ("Three years flat", "public")


def test_autosave_of_another_members_story_is_not_found(client, as_role):
    as_role("member")
    theirs = _story(make_member())
    response = client.post("/my/stories/autosave", data={"csrf_token": _token(client), "story_id": str(theirs.id),
                                                         "title": "Taken", "body": "Taken."})
    assert response.status_code == 404
    assert db.session.get(Story, theirs.id).title == "Three years flat"


def test_writing_a_story_saves_it_private(client, as_role):
    member = as_role("member")
    response = submit(client, "/my/stories/new", {
        "title": "My first year", "body": "It began with an epidural.", "procedure": "epidural", "year": "2021",
        "what_helped": "Lying flat.", "action": "save"})
    assert response.status_code == 302 and response.location.startswith("/my/stories#story-")
    story = db.session.scalar(select(Story).where(Story.author_id == member.id))
    assert (story.title, story.procedure, story.year, story.audience) == ("My first year", "epidural", 2021,
                                                                        "private")
    assert "Only you can read it" in client.get("/my/stories").text


def test_a_refused_save_keeps_every_word(client, as_role):
    as_role("member")
    words = "I lay flat for eleven weeks. <My sister> brought soup & books."
    response = submit(client, "/my/stories/new", {
        "title": "", "body": words, "procedure": "lumbar_puncture", "year": "1812", "what_helped": "Soup & books."})
    assert response.status_code == 400
    page = response.text
    assert "<title>Error: " in page and "There is a problem" in page
    assert "Please give your story a title" in page
    assert "I lay flat for eleven weeks. &lt;My sister&gt; brought soup &amp; books." in page
    assert 'value="1812"' in page and "Soup &amp; books." in page
    assert '<option selected value="lumbar_puncture">' in page
    assert _count(Story) == 0


def test_a_refused_edit_keeps_the_words_and_the_saved_story(client, as_role):
    member = as_role("member")
    story = _story(member)
    response = submit(client, f"/my/stories/{story.id}/edit", {"title": "New title", "body": "x" * 20_001})
    assert response.status_code == 400 and "New title" in response.text and "please shorten" in response.text
    assert db.session.get(Story, story.id).title == "Three years flat"


def test_preview_shows_the_story_and_saves_nothing(client, as_role):
    as_role("member")
    response = submit(client, "/my/stories/new", {"title": "T", "body": "Some **bold** words", "action": "preview"})
    assert response.status_code == 200
    assert "<strong>bold</strong>" in response.text and "Preview – not saved yet" in response.text
    assert _count(Story) == 0


def test_autosave_creates_the_story_once_then_updates_it(client, as_role):
    member = as_role("member")
    token = csrf_token_from(client.get("/my/stories/new").text)
    first = client.post("/my/stories/autosave", data={"csrf_token": token, "story_id": "", "title": "",
                                                      "body": "The first lines"})
    assert first.status_code == 200 and first.json["ok"] is True
    story_id = first.json["story_id"]
    assert first.json["saved_at"] and first.json["edit_url"] == f"/my/stories/{story_id}/edit"
    second = client.post("/my/stories/autosave", data={"csrf_token": token, "story_id": str(story_id),
                                                       "title": "Working title", "body": "The first lines, and more"})
    assert second.json == {**second.json, "ok": True, "story_id": story_id}
    # Save from the page the script pointed at the draft: still one story.
    saved = client.post("/my/stories/new", data={"csrf_token": token, "story_id": str(story_id),
                                                 "title": "Final title", "body": "All of it."})
    assert saved.status_code == 302
    assert db.session.scalars(select(Story).where(Story.author_id == member.id)).all() == [
        db.session.get(Story, story_id)]
    assert db.session.get(Story, story_id).title == "Final title"


def test_autosave_with_nothing_typed_saves_nothing(client, as_role):
    as_role("member")
    response = client.post("/my/stories/autosave", data={"csrf_token": _token(client), "title": " ", "body": ""})
    assert response.status_code == 400 and response.json["ok"] is False
    assert _count(Story) == 0


def test_autosave_refusal_answers_json(client, as_role):
    as_role("member")
    response = client.post("/my/stories/autosave", data={"csrf_token": _token(client), "title": "T",
                                                         "body": "x" * 20_001})
    assert response.status_code == 400 and response.json["ok"] is False and "shorten" in response.json["error"]


def test_editor_pages_allow_only_our_own_script(client, as_role):
    member = as_role("member")
    story = _story(member)
    for url in ("/my/stories/new", f"/my/stories/{story.id}/edit"):
        response = client.get(url)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert re.search(r'src="/static/js/autosave\.[0-9a-f]{12}\.js"', response.text)
        assert "<script>" not in response.text
    assert "script-src" not in client.get("/my/stories").headers["Content-Security-Policy"]
    assert "script-src" not in client.get(f"/my/stories/{story.id}/share").headers["Content-Security-Policy"]


def test_share_page_shows_each_byline_and_the_consent(client, as_role):
    member = as_role("member")
    story = _story(member)
    page = client.get(f"/my/stories/{story.id}/share").text
    assert f"shown as “{member.display_name}”" in page
    assert f"shown as “{stories.initials(member.display_name)}”" in page and "shown as “Anonymous”" in page
    assert stories.CONSENT_TEXT in page and f"Consent version {stories.CONSENT_VERSION}" in page
    assert f'name="consent_version" value="{stories.CONSENT_VERSION}"' in page
    assert "withdraw it at any time" in page and "a moderator reads your story first" in page
    assert 'href="/stories/tell-your-story"' in page


def test_sharing_with_everyone_without_consent_is_refused_and_nothing_recorded(client, as_role):
    member = as_role("member")
    story = _story(member)
    response = submit(client, f"/my/stories/{story.id}/share", {"audience": "public", "attribution": "initials"})
    assert response.status_code == 400
    assert "tick the box to agree" in response.text and "<title>Error: " in response.text
    assert 'value="public" checked' in response.text or 'checked id="audience-2"' in response.text or \
        'id="audience-2" name="audience" type="radio" value="public" checked' in response.text
    assert 'checked id="attribution-1"' in response.text or 'value="initials" checked' in response.text
    assert _count(StoryConsent) == 0
    assert db.session.get(Story, story.id).audience == "private"


def test_sharing_with_everyone_with_consent_records_it_and_waits_for_a_moderator(client, as_role):
    member = as_role("member")
    story = _story(member)
    response = submit(client, f"/my/stories/{story.id}/share", {
        "audience": "public", "attribution": "anonymous", "consent_version": stories.CONSENT_VERSION})
    assert response.status_code == 302
    consent = db.session.scalar(select(StoryConsent))
    assert (consent.story_id, consent.user_id, consent.version) == (story.id, member.id, stories.CONSENT_VERSION)
    assert consent.given_at is not None and consent.withdrawn_at is None
    story = db.session.get(Story, story.id)
    assert (story.audience, story.attribution, story.review_state) == ("public", "anonymous", "pending")
    assert "Waiting for a moderator" in client.get("/my/stories").text


def test_sharing_with_members_needs_no_consent(client, as_role):
    member = as_role("member")
    story = _story(member)
    response = submit(client, f"/my/stories/{story.id}/share", {"audience": "members", "attribution": "name"})
    assert response.status_code == 302
    assert db.session.get(Story, story.id).audience == "members" and _count(StoryConsent) == 0


def test_withdrawing_stops_the_story_being_public_and_keeps_the_record(client, as_role):
    member = as_role("member")
    story = _story(member)
    stories.share(member, story, "public", "name", consent_version=stories.CONSENT_VERSION)
    stories.approve(make_user(role="moderator"), story)
    assert client.get(f"/stories/{story.id}").status_code == 200
    share_page = client.get(f"/my/stories/{story.id}/share").text
    assert f'action="/my/stories/{story.id}/withdraw"' in share_page
    response = client.post(f"/my/stories/{story.id}/withdraw", data={"csrf_token": csrf_token_from(share_page)})
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "Your story is no longer public." in page and "You withdrew it from the public" in page
    story = db.session.get(Story, story.id)
    assert not stories.is_public(story) and story.withdrawn_at is not None
    consent = db.session.scalar(select(StoryConsent))
    assert consent.withdrawn_at is not None and consent.version == stories.CONSENT_VERSION
    client.post("/logout", data={"csrf_token": _token(client)})
    assert client.get(f"/stories/{story.id}").status_code in (404, 410)


def test_withdrawing_a_story_that_is_not_public_says_so_kindly(client, as_role):
    member = as_role("member")
    story = _story(member)
    response = client.post(f"/my/stories/{story.id}/withdraw", data={"csrf_token": _token(client)},
                           follow_redirects=True)
    assert response.status_code == 200 and "nothing to withdraw" in response.text


def test_the_guide_is_public_and_indexable(client, db):
    response = client.get("/stories/tell-your-story")
    assert response.status_code == 200
    assert "X-Robots-Tag" not in response.headers
    page = response.text
    for words in ("What happened", "How it felt", "What helped", "full name", "hospitals",
                  "Anonymous is completely fine", "undo it at any time"):
        assert words in page
