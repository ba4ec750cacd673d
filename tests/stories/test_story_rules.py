"""Stories' rules (the pages come next): private when first saved, who reads each audience under each
attribution, consent to publish with its version and time, review, an edit keeping the approved copy up, and
withdrawal."""

import itertools

import pytest
from flask_login import AnonymousUserMixin

from community.extensions import utcnow
from community.stories import services as stories
from community.stories.models import StoryConsent
from tests.factories import make_member, make_user


@pytest.fixture
def people(app):
    return {
        "visitor": AnonymousUserMixin(),
        "registered": make_user(display_name="Reggie Registered"),
        "member": make_member(display_name="Mo Member"),
        "moderator": make_user(role="moderator", display_name="Mod Erator"),
        "admin": make_user(role="admin", display_name="Ad Min"),
    }


def _story(author, words="I had a lumbar puncture in 2019 and the headache never left."):
    return stories.save_story(author, title="Three years flat", body=words)


def _published(author, moderator, attribution="anonymous"):
    story = _story(author)
    stories.share(author, story, "public", attribution, consent_version=stories.CONSENT_VERSION)
    stories.approve(moderator, story)
    return story


def test_a_new_story_is_private_and_only_its_author_reads_it(people):
    author = make_member(display_name="Sam Lee")
    story = _story(author)
    assert story.audience == "private" and story.review_state == "none"
    assert stories.can_read(author, story)
    for role, person in people.items():
        assert not stories.can_read(person, story), role


@pytest.mark.parametrize(("audience", "attribution"),
                         list(itertools.product(["private", "members", "public"], ["name", "initials", "anonymous"])))
def test_who_reads_each_audience_and_how_the_author_is_named(people, audience, attribution):
    author = make_member(display_name="Sam Lee")
    story = _story(author)
    if audience == "public":
        stories.share(author, story, "public", attribution, consent_version=stories.CONSENT_VERSION)
        stories.approve(people["moderator"], story)
    else:
        stories.share(author, story, audience, attribution)
    readers = {role for role, person in people.items() if stories.can_read(person, story)}
    expected = {"private": set(), "members": {"member", "moderator", "admin"},
                "public": {"visitor", "registered", "member", "moderator", "admin"}}[audience]
    assert readers == expected
    byline = stories.byline(story)
    assert byline == {"name": "Sam Lee", "initials": "S. L.", "anonymous": "Anonymous"}[attribution]
    if attribution == "anonymous":
        assert "Sam" not in byline and "S. L." not in byline and str(author.id) not in byline


def test_the_public_needs_the_current_consent_and_it_is_recorded_exactly(app):
    author = make_member(display_name="Sam Lee")
    story = _story(author)
    with pytest.raises(stories.StoryError) as refused:
        stories.share(author, story, "public", "initials", consent_version=None)
    assert refused.value.field == "consent"
    with pytest.raises(stories.StoryError):
        stories.share(author, story, "public", "initials", consent_version="an-old-version")
    assert story.audience == "private" and not stories.consents_of(story)
    before = utcnow()
    stories.share(author, story, "public", "initials", consent_version=stories.CONSENT_VERSION)
    [consent] = stories.consents_of(story)
    assert consent.version == stories.CONSENT_VERSION and consent.scope == "public, attributed as initials"
    assert consent.user_id == author.id and before <= consent.given_at <= utcnow() and consent.withdrawn_at is None
    # Waiting for a moderator: not public yet.
    assert story.review_state == "pending" and not stories.is_public(story)
    assert not stories.can_read(AnonymousUserMixin(), story)


def test_an_edit_waits_for_review_while_the_approved_copy_stays_up(app):
    author, moderator = make_member(), make_user(role="moderator")
    story = _published(author, moderator)
    approved_html = story.published_html
    stories.save_story(author, story, title="Three years flat", body="New words naming St Elsewhere hospital.")
    assert story.review_state == "pending" and stories.is_public(story)
    assert story.published_html == approved_html and "Elsewhere" not in story.published_html
    assert stories.reads_approved_copy(AnonymousUserMixin(), story)
    stories.request_changes(moderator, story, "Please remove the hospital's name.")
    assert story.review_state == "changes_requested" and story.review_note == "Please remove the hospital's name."
    stories.save_story(author, story, title="Three years flat", body="New words without the hospital.")
    assert story.review_state == "pending"
    stories.approve(moderator, story)
    assert "without the hospital" in story.published_html


def test_moderators_decline_with_a_reason_and_only_pending_stories(app):
    author, moderator = make_member(), make_user(role="moderator")
    story = _story(author)
    with pytest.raises(stories.StoryError):
        stories.approve(moderator, story)          # private: nothing to review
    stories.share(author, story, "public", "anonymous", consent_version=stories.CONSENT_VERSION)
    with pytest.raises(stories.StoryError) as refused:
        stories.decline(moderator, story, "  ")
    assert refused.value.field == "note"
    with pytest.raises(stories.StoryError):
        stories.approve(make_member(), story)      # members do not review
    stories.decline(moderator, story, "It names other patients.")
    assert story.review_state == "declined" and not stories.is_public(story)


def test_withdrawal_ends_publication_at_once_and_keeps_the_record(app, db):
    author, moderator = make_member(), make_user(role="moderator")
    story = _published(author, moderator, "name")
    assert story in stories.public_stories()
    stories.withdraw(author, story)
    assert not stories.is_public(story) and story not in stories.public_stories()
    assert not stories.can_read(AnonymousUserMixin(), story) and story.audience == "private"
    [consent] = db.session.scalars(db.select(StoryConsent).where(StoryConsent.story_id == story.id)).all()
    assert consent.version == stories.CONSENT_VERSION and consent.withdrawn_at == story.withdrawn_at
    with pytest.raises(stories.StoryError):
        stories.withdraw(make_member(), story)


def test_drafts_autosave_unfinished_and_bad_details_are_refused_kindly(app):
    author = make_member()
    draft = stories.save_story(author, title="", body="Just the first line", autosave=True)
    assert draft.title == stories.UNTITLED and draft.audience == "private"
    for fields, field in [({"title": "", "body": "words"}, "title"), ({"title": "T", "body": ""}, "body"),
                          ({"title": "T", "body": "w", "year": "1900"}, "year"),
                          ({"title": "T", "body": "w", "year": "soon"}, "year"),
                          ({"title": "T", "body": "w", "procedure": "<script>"}, "procedure"),
                          ({"title": "T", "body": "x" * (stories.BODY_MAX + 1)}, "body")]:
        with pytest.raises(stories.StoryError) as refused:
            stories.save_story(author, **fields)
        assert refused.value.field == field
    with pytest.raises(stories.StoryError):
        stories.save_story(make_member(), draft, title="Mine now", body="no")
    html = stories.save_story(author, draft, title="T", body="<script>alert(1)</script> **bold**").body_html
    assert "<script>" not in html and "<strong>bold</strong>" in html


def test_autosave_never_writes_half_typed_words_into_a_shared_story(app):
    author = make_member()
    story = _story(author)
    stories.share(author, story, "members", "name")
    with pytest.raises(stories.StoryError):
        stories.save_story(author, story, title="Three years flat", body="Half a sent", autosave=True)
    assert story.body.startswith("I had a lumbar puncture")
    stories.save_story(author, story, title="Three years flat", body="Finished words.")
    assert story.body == "Finished words."


def test_a_member_cannot_start_new_stories_without_end(app):
    author = make_member()
    drafts = [stories.save_story(author, title=f"Draft {number}", body="words", autosave=True)
              for number in range(10)]
    with pytest.raises(stories.StoryError) as refused:
        stories.save_story(author, title="One more", body="words", autosave=True)
    assert "Your words are still here" in refused.value.message
    # Their stories so far can still be saved.
    assert stories.save_story(author, drafts[0], title="Draft 0", body="more words").body == "more words"
