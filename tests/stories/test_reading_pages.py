"""The reading pages (/stories, /stories/<id>, /stories/feed.atom) for every audience × attribution × role: who
reads each story, who finds it listed, and that an anonymous author is named nowhere, in any response (nor in the
forums' search). Then withdrawal: the public address answers 404, the feed drops the story, the record stays."""

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from community.stories import services as stories
from community.stories.models import StoryConsent
from tests.factories import make_member, make_user

AUDIENCES = ["private", "members", "public approved", "public pending"]
ATTRIBUTIONS = ["name", "initials", "anonymous"]
ROLES = ["visitor", "registered", "member", "another member", "moderator", "admin", "author"]
AUTHOR_NAME = "Zebedee Quixotic"
WORD = "Xylophonist"          # a word of the story, to search for
ATOM = "{http://www.w3.org/2005/Atom}"

# Who may open the story's page, by audience (members, staff and the author read a public story as soon as it is
# shared; the public only once a moderator approved it).
READERS = {
    "private": {"author"},
    "members": {"author", "member", "another member", "moderator", "admin"},
    "public approved": set(ROLES),
    "public pending": {"author", "member", "another member", "moderator", "admin"},
}


def _story(author, audience: str, attribution: str, moderator):
    story = stories.save_story(author, title="Flat on my back in Quimper",
                               body=f"The headache came after the epidural. A {WORD} friend sat with me.\n\n"
                                    "Lying flat helped most.")
    if audience.startswith("public"):
        stories.share(author, story, "public", attribution, consent_version=stories.CONSENT_VERSION)
        if audience == "public approved":
            stories.approve(moderator, story)
    else:
        stories.share(author, story, audience, attribution)
    return story


def _clients(app, login, people):
    """A logged-in test client per role (a fresh, logged-out one for the visitor)."""
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role != "visitor":
            response = login(people[role], the_client=client)
            assert response.status_code == 302, (role, response.text)
            client.get("/")         # shows (and so clears) the "Welcome back, <name>" message
        clients[role] = client
    return clients


def _never_names(body: str, author, where: str) -> None:
    for secret in (AUTHOR_NAME, "Zebedee", "Quixotic", stories.initials(AUTHOR_NAME), "Z.Q.",
                   f"user/{author.id}", f"users/{author.id}", f"member/{author.id}", f"members/{author.id}",
                   f"user-{author.id}", f"user_id={author.id}", f'data-user="{author.id}"',
                   f'data-author="{author.id}"', author.email):
        assert secret not in body, f"{secret!r} in {where}"


@pytest.mark.parametrize(("audience", "attribution"), list(itertools.product(AUDIENCES, ATTRIBUTIONS)))
def test_who_reads_and_finds_each_story_and_an_anonymous_author_is_never_named(app, login, audience,
                                                                                attribution):
    people = {"registered": make_user(display_name="Reggie Registered"),
              "member": make_member(display_name="Mo Member"),
              "another member": make_member(display_name="Ann Other"),
              "moderator": make_user(role="moderator", display_name="Mod Erator"),
              "admin": make_user(role="admin", display_name="Ad Min"),
              "author": make_member(display_name=AUTHOR_NAME)}
    author = people["author"]
    story = _story(author, audience, attribution, people["moderator"])
    link = f'href="/stories/{story.id}"'
    expected_byline = {"name": AUTHOR_NAME, "initials": "Z. Q.", "anonymous": "Anonymous"}[attribution]
    for role, client in _clients(app, login, people).items():
        page = client.get(f"/stories/{story.id}")
        listing = client.get("/stories")
        feed = client.get("/stories/feed.atom")
        search = client.get(f"/search?q={WORD}")
        assert listing.status_code == 200 and feed.status_code == 200, role
        readable = role in READERS[audience]
        assert page.status_code == (200 if readable else 404), (role, page.status_code)
        # Listed for exactly those who may read it (the author's private story lives on /my/stories instead).
        listed = readable and audience != "private"
        assert (link in listing.text) == listed, (role, "listed" if listed else "not listed")
        assert (f"/stories/{story.id}</id>" in feed.text) == (audience == "public approved"), role
        # The forums' search knows nothing of stories.
        assert "Quimper" not in search.text and f"/stories/{story.id}" not in search.text, role
        if readable:
            assert f"By {expected_byline}" in page.text, role
        else:
            assert "Quimper" not in page.text, role
        if attribution == "anonymous":
            for where, response in [("the story page", page), ("/stories", listing), ("the feed", feed),
                                    ("search", search)]:
                _never_names(response.get_data(as_text=True), author, f"{where} as {role}")
                for header, value in response.headers.items():
                    assert "Zebedee" not in value and "Quixotic" not in value, (role, header)


def test_the_public_reads_the_approved_copy_with_previews_share_link_and_feed(app, client, login):
    author, moderator = make_member(display_name=AUTHOR_NAME), make_user(role="moderator")
    story = _story(author, "public approved", "initials", moderator)
    stories.save_story(author, story, title="New title naming St Elsewhere", body="An edit naming St Elsewhere.")
    page = client.get(f"/stories/{story.id}")
    assert page.status_code == 200 and "Flat on my back in Quimper" in page.text and "Elsewhere" not in page.text
    assert "X-Robots-Tag" not in page.headers
    canonical = f"http://localhost/stories/{story.id}"
    assert '<meta property="og:title" content="Flat on my back in Quimper">' in page.text
    assert '<meta property="og:type" content="article">' in page.text
    assert f'<meta property="og:url" content="{canonical}">' in page.text
    assert f'<meta property="og:description" content="{story.published_summary}' in page.text
    assert f'<link rel="canonical" href="{canonical}">' in page.text and f'href="{canonical}"' in page.text
    assert 'type="application/atom+xml" title="Stories from Target CSF Leaks" href="/stories/feed.atom"' in page.text
    assert "<script" not in page.text.split("<main", 1)[1]
    # A member reads the words waiting for review, marked as such; the page is not for search engines.
    login(make_member())
    member_page = client.get(f"/stories/{story.id}")
    assert "An edit naming St Elsewhere." in member_page.text and "waiting for a moderator" in member_page.text
    assert member_page.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_members_only_stories_have_no_previews_and_are_not_indexable(app, client, login):
    author = make_member(display_name=AUTHOR_NAME)
    story = _story(author, "members", "name", None)
    login(make_member())
    page = client.get(f"/stories/{story.id}")
    assert page.status_code == 200 and "og:title" not in page.text and 'rel="canonical"' not in page.text
    assert "Only members can read this story" in page.text
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
    listing = client.get("/stories")
    assert "Members only" in listing.text and 'href="/my/stories"' in listing.text
    assert 'href="/stories/tell-your-story"' in listing.text


def test_the_feed_is_atom_with_each_public_story(app, client):
    moderator = make_user(role="moderator")
    named = _story(make_member(display_name=AUTHOR_NAME), "public approved", "name", moderator)
    hidden = _story(make_member(display_name="Anon Ymous"), "public approved", "anonymous", moderator)
    _story(make_member(), "members", "name", moderator)
    response = client.get("/stories/feed.atom")
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.data)
    entries = {entry.find(f"{ATOM}id").text: entry for entry in feed.findall(f"{ATOM}entry")}
    assert set(entries) == {f"http://localhost/stories/{named.id}", f"http://localhost/stories/{hidden.id}"}
    entry = entries[f"http://localhost/stories/{hidden.id}"]
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Anonymous"
    assert entry.find(f"{ATOM}title").text == "Flat on my back in Quimper"
    assert entry.find(f"{ATOM}link").get("href") == f"http://localhost/stories/{hidden.id}"
    assert entry.find(f"{ATOM}summary").text == hidden.published_summary
    assert re.match(r"\d{4}-\d\d-\d\dT", entry.find(f"{ATOM}updated").text)
    assert entries[f"http://localhost/stories/{named.id}"].find(f"{ATOM}author/{ATOM}name").text == AUTHOR_NAME
    assert "<p>" in entry.find(f"{ATOM}content").text      # escaped HTML, parsed back


def test_the_feed_escapes_what_authors_write(app, client):
    author = make_member(display_name="Sam <b>Lee</b> & co")
    story = stories.save_story(author, title="Pain & <script>alert(1)</script>", body="Words & <i>more</i>.")
    stories.share(author, story, "public", "name", consent_version=stories.CONSENT_VERSION)
    stories.approve(make_user(role="moderator"), story)
    response = client.get("/stories/feed.atom")
    entry = ET.fromstring(response.data).find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Pain & <script>alert(1)</script>"
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Sam <b>Lee</b> & co"
    assert "<script>" not in response.text


def test_after_withdrawal_the_story_is_gone_and_the_record_stays(app, client, db):
    author, moderator = make_member(display_name=AUTHOR_NAME), make_user(role="moderator")
    story = _story(author, "public approved", "anonymous", moderator)
    assert client.get(f"/stories/{story.id}").status_code == 200
    assert f"/stories/{story.id}</id>" in client.get("/stories/feed.atom").text
    [given] = stories.consents_of(story)
    version, given_at = given.version, given.given_at
    stories.withdraw(author, story)
    assert client.get(f"/stories/{story.id}").status_code == 404
    assert f"/stories/{story.id}" not in client.get("/stories/feed.atom").text
    assert f"/stories/{story.id}" not in client.get("/stories").text
    [consent] = db.session.scalars(db.select(StoryConsent).where(StoryConsent.story_id == story.id)).all()
    assert consent.version == version == stories.CONSENT_VERSION and consent.given_at == given_at
    assert consent.withdrawn_at is not None and consent.withdrawn_at == story.withdrawn_at


def test_unknown_and_private_stories_answer_the_same_404(app, client):
    story = _story(make_member(display_name=AUTHOR_NAME), "private", "anonymous", None)
    unknown, private = client.get("/stories/999999"), client.get(f"/stories/{story.id}")
    assert unknown.status_code == private.status_code == 404
    assert unknown.text.replace("/stories/999999", "/stories/N") == private.text.replace(f"/stories/{story.id}",
                                                                                          "/stories/N")


def test_the_list_summarises_each_story_from_its_opening_words_however_it_begins(app, client, login):
    author = make_member(display_name="Robin Fairweather")
    long_story = stories.save_story(author, title="A long year",
                                    body=" ".join(f"Day {n} was flat." for n in range(400)))
    # An opening of markup only (a long rule, then a heading): the summary starts at the first words.
    ruled = stories.save_story(author, title="After the rule", body="-" * 1500 + "\n\n## " + "Blood patch day. " * 30)
    for story in (long_story, ruled):
        stories.share(author, story, "members", "name")
    login(make_member())
    page = client.get("/stories").text
    for story in (long_story, ruled):
        summary = stories.summary_of(story.body)
        assert summary.endswith("…") and len(summary) <= stories.SUMMARY_MAX
        assert f"<p>{summary}</p>" in page


def test_an_author_without_membership_finds_their_own_story_with_its_current_words(app, client, login):
    from datetime import timedelta

    from community.extensions import utcnow
    from community.membership import services as membership

    author, moderator = make_member(display_name=AUTHOR_NAME), make_user(role="moderator")
    story = _story(author, "public approved", "name", moderator)
    stories.save_story(author, story, title="My second thoughts", body="Words waiting for a moderator.")
    membership.apply_subscription_state(author, "canceled", utcnow() - timedelta(days=1), "test: lapsed")
    login(author)
    page = client.get("/stories").text
    assert "My second thoughts" in page and "<p>Words waiting for a moderator.</p>" in page
    assert "Flat on my back in Quimper" not in page
    visitor = app.test_client().get("/stories").text
    assert "Flat on my back in Quimper" in visitor and "My second thoughts" not in visitor
