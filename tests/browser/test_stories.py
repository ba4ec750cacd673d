"""Stories in a real browser, as the people involved would live it: a member writes a story (the draft also saves
itself), shares it with everyone anonymously with their consent, a moderator asks for a change through the queue,
the member edits it, the moderator approves it, a visitor reads it logged out, the member withdraws it and it is
gone; axe-core clean at 320 px and 1280 px on the writing, share and story pages."""

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from community.extensions import db
from community.stories.models import Story, StoryConsent
from community.stories.services import CONSENT_VERSION
from tests import factories
from tests.browser.conftest import log_in, log_out, serve

pytestmark = pytest.mark.browser

TITLE = "Eleven weeks flat"
FIRST_WORDS = ("It started after a lumbar puncture at St Elsewhere Hospital.\n\n"
               "The headache went away only when I lay down.")
CHANGED_WORDS = "It started after a lumbar puncture.\n\nThe headache went away only when I lay down."


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """Five log-ins within a few minutes from one address would trip the log-in limit, so limits are off here."""
    with serve(tmp_path_factory, RATELIMIT_ENABLED=False) as server:
        yield server


def _stories_of(live_server, author_id):
    with live_server.app.app_context():
        found = [(story.id, story.title, story.audience, story.review_state)
                 for story in db.session.scalars(select(Story).where(Story.author_id == author_id))]
        db.session.remove()
    return found


def _moderator_decides(page, live_server, email, code, decision_label, reason=""):
    log_in(page, live_server, email, code)
    page.goto(live_server.url + "/moderation")
    page.get_by_role("link", name=TITLE).first.click()
    expect(page.get_by_text("waiting for approval").first).to_be_visible()
    page.get_by_label(decision_label).check()
    if reason:
        page.get_by_label("Reason", exact=True).fill(reason)
    page.get_by_role("button", name="Save my decision").click()
    expect(page.locator(".error-summary")).to_have_count(0)
    log_out(page)


def test_write_share_anonymously_review_publish_and_withdraw(page, live_server, check):
    tag = uuid.uuid4().hex[:8]
    member_email, moderator_email = f"writer-{tag}@example.org", f"mod-{tag}@example.org"
    with live_server.app.app_context():
        member = factories.make_member(member_email, display_name="Robin Quill")
        moderator = factories.make_user(moderator_email, role="moderator", display_name="Casey")
        member_id = member.id
        codes = list(moderator.spare_recovery_codes[:2])
        db.session.remove()

    # Robin writes a story. Saving nothing says kindly what is missing; the draft then saves itself.
    page.clock.install()
    log_in(page, live_server, member_email)
    check(page, live_server.url + "/my/stories")
    page.get_by_role("link", name="Write a story").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Write your story")
    check(page)
    page.get_by_role("button", name="Save my story").click()
    expect(page.locator(".error-summary")).to_contain_text("Please give your story a title")
    check(page)
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Your story").fill(FIRST_WORDS)
    page.get_by_label("What caused your leak (optional)").select_option("lumbar_puncture")
    page.get_by_label("The year it started (optional)").fill("2022")
    page.clock.fast_forward("00:21")
    expect(page.get_by_role("status")).to_contain_text("Draft saved at")
    [(story_id, _, _, _)] = _stories_of(live_server, member_id)
    expect(page.locator("#story-form")).to_have_attribute("action", f"/my/stories/{story_id}/edit")
    page.get_by_label("What helped you (optional)").fill("Lying flat, caffeine, and my sister.")
    page.get_by_role("button", name="Save my story").click()
    expect(page.get_by_text("Your story is saved. Only you can read it")).to_be_visible()
    assert _stories_of(live_server, member_id) == [(story_id, TITLE, "private", "none")], "one story, not two"

    # Robin shares it with everyone, anonymously: first without ticking the consent (refused, choices kept).
    page.locator(f"#story-{story_id}").get_by_role("link", name="Choose who can read it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose who can read your story")
    check(page)
    page.get_by_label("Everyone (the public)").check()
    page.get_by_label("Anonymous, shown as “Anonymous”").check()
    expect(page.get_by_text(f"Consent version {CONSENT_VERSION}")).to_be_visible()
    page.get_by_role("button", name="Save these choices").click()
    expect(page.locator(".error-summary")).to_contain_text("tick the box to agree")
    expect(page.get_by_label("Everyone (the public)")).to_be_checked()
    expect(page.get_by_label("Anonymous, shown as “Anonymous”")).to_be_checked()
    check(page)
    page.get_by_label("I have read this and I agree").check()
    page.get_by_role("button", name="Save these choices").click()
    expect(page.get_by_text("A moderator will read your story before it becomes public")).to_be_visible()
    expect(page.get_by_text("Waiting for a moderator")).to_be_visible()
    with live_server.app.app_context():
        [consent] = db.session.scalars(select(StoryConsent).where(StoryConsent.story_id == story_id)).all()
        assert (consent.version, consent.user_id, consent.withdrawn_at) == (CONSENT_VERSION, member_id, None)
        db.session.remove()
    log_out(page)

    # Not public yet: a visitor finds nothing.
    assert page.goto(f"{live_server.url}/stories/{story_id}").status == 404

    # Casey asks for a change through the moderation queue.
    _moderator_decides(page, live_server, moderator_email, codes[0], "Ask the author for a change",
                       "Please remove the hospital's name, to protect your privacy.")

    # Robin sees the note, edits, and the story goes back to the moderators.
    log_in(page, live_server, member_email)
    page.goto(live_server.url + "/my/stories")
    expect(page.get_by_text("A moderator asked for a change: “Please remove the hospital's name")).to_be_visible()
    check(page)
    page.locator(f"#story-{story_id}").get_by_role("link", name="Edit").click()
    expect(page.get_by_text("A moderator asked for a change").first).to_be_visible()
    check(page)
    page.get_by_label("Your story").fill(CHANGED_WORDS)
    page.get_by_role("button", name="Save my story").click()
    expect(page.get_by_text("A moderator will read your changes")).to_be_visible()
    log_out(page)

    # Casey approves it.
    _moderator_decides(page, live_server, moderator_email, codes[1], "Approve it: publish it now")

    # A visitor reads it, anonymous: no name, no initials.
    response = page.goto(f"{live_server.url}/stories/{story_id}")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("Anonymous").first).to_be_visible()
    html = page.content()
    assert "Robin" not in html and "Quill" not in html and "R. Q." not in html and "St Elsewhere" not in html
    check(page)

    # Robin withdraws it; it is gone for the visitor at once.
    log_in(page, live_server, member_email)
    page.goto(live_server.url + "/my/stories")
    page.locator(f"#story-{story_id}").get_by_role("button", name="Withdraw from the public").click()
    expect(page.get_by_text("Your story is no longer public.")).to_be_visible()
    expect(page.get_by_text("You withdrew it from the public")).to_be_visible()
    check(page)
    log_out(page)
    assert page.goto(f"{live_server.url}/stories/{story_id}").status in (404, 410)
    with live_server.app.app_context():
        [consent] = db.session.scalars(select(StoryConsent).where(StoryConsent.story_id == story_id)).all()
        assert consent.withdrawn_at is not None and consent.version == CONSENT_VERSION
        db.session.remove()
