"""The public's list of stories is kept by each process for a few seconds (issue 14: anonymous pages read no list
from the database on every visit). Whatever changes it in this process shows at once; what another process
changed shows within PUBLIC_LISTING_SECONDS; signed-in readers always read the database."""

import time

from sqlalchemy import update

from community.accounts import services as accounts
from community.extensions import db
from community.privacy.erasure import erase_member
from community.stories import services as stories
from community.stories.models import Story
from tests.factories import make_member, make_user


def _published(author, moderator, title: str):
    story = stories.save_story(author, title=title, body=f"{title}: what happened, and what helped.")
    stories.share(author, story, "public", "name", consent_version=stories.CONSENT_VERSION)
    stories.approve(moderator, story)
    return story


def _elsewhere(story_id: int, **values) -> None:
    """A change made as another web process makes it: on a connection of its own, unseen by this process's
    sessions."""
    with db.engine.begin() as connection:
        connection.execute(update(Story).where(Story.id == story_id).values(**values))


def test_every_change_made_in_this_process_shows_in_the_public_list_at_once(app, client):
    moderator = make_user(role="moderator")
    sam, alex = make_member(display_name="Sam Quill"), make_member(display_name="Alex Reed")
    first = _published(sam, moderator, "Flat for six weeks")
    assert "Flat for six weeks" in client.get("/stories").text

    # A newly approved story.
    _published(alex, moderator, "The blood patch that worked")
    page = client.get("/stories").text
    assert "The blood patch that worked" in page and "Flat for six weeks" in page

    # An author's new name is their byline.
    accounts.update_profile(sam, "Sam Q", "", sam.time_zone, sam.text_size)
    assert "Sam Q ·" in client.get("/stories").text and "Sam Quill" not in client.get("/stories").text

    # Consent taken back: the story leaves the list with its page.
    stories.withdraw(sam, first)
    assert "Flat for six weeks" not in client.get("/stories").text
    assert client.get(f"/stories/{first.id}").status_code == 404

    # An erased account takes its stories with it.
    erase_member(alex, keep_writing=False)
    assert "The blood patch that worked" not in client.get("/stories").text


def test_a_change_made_by_another_process_shows_within_seconds_and_members_see_it_at_once(app, client, login,
                                                                                         monkeypatch):
    monkeypatch.setattr(stories._public_pages[0], "seconds", 0.5)
    story = _published(make_member(display_name="Sam Quill"), make_user(role="moderator"), "Flat for six weeks")
    assert "Flat for six weeks" in client.get("/stories").text

    _elsewhere(story.id, published_title="Six weeks lying flat", title="Six weeks lying flat")
    # The visitor still reads this process's copy...
    assert "Flat for six weeks" in client.get("/stories").text
    # ...a member reads the database itself...
    member = app.test_client()
    login(make_member(), the_client=member)
    assert "Six weeks lying flat" in member.get("/stories").text
    # ...and once the copy is older than its seconds, the visitor reads the change too.
    time.sleep(0.6)
    assert "Six weeks lying flat" in client.get("/stories").text


def test_pages_past_the_first_few_are_read_afresh_every_time(app, client):
    moderator = make_user(role="moderator")
    oldest = _published(make_member(), moderator, "The oldest story")
    for number in range(stories.PER_PAGE * stories.PUBLIC_PAGES_KEPT):
        _published(make_member(), moderator, f"Story number {number}")
    last = f"/stories?page={stories.PUBLIC_PAGES_KEPT + 1}"
    assert "The oldest story" in client.get(last).text
    _elsewhere(oldest.id, published_title="Renamed in another process")
    assert "Renamed in another process" in client.get(last).text
