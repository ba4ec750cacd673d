"""bench/dataset.py writes what the app itself would have written: a small run of it shows through the app's own
pages (the long thread, the story list, forum search, a hub page), so the generator cannot quietly rot."""

import re

from sqlalchemy import select

from bench.dataset import LONG_THREAD_POSTS, LONG_THREAD_TITLE, seed_large
from community.accounts.services import find_user_by_email
from community.forums.models import Post
from community.stories.models import Story


def test_a_small_large_data_set_reads_through_the_app(app, client, login, db):
    found = seed_large(members=20, posts=200, stories=30)
    reader = find_user_by_email(found["email"])
    assert login(reader, found["password"]).status_code == 302

    # The thread of exactly fifty posts, twenty a page, in order, rendered as the forum renders them.
    pages = [client.get(f"/forums/t/{found['long_thread_id']}?page={page}") for page in (1, 2, 3)]
    assert all(page.status_code == 200 for page in pages)
    assert LONG_THREAD_TITLE in pages[0].text
    numbers = [int(n) for page in pages for n in re.findall(r'<h2 id="post-(\d+)">', page.text)]
    assert numbers == list(range(1, LONG_THREAD_POSTS + 1))
    first = db.session.scalar(select(Post).where(Post.thread_id == found["long_thread_id"], Post.number == 1))
    assert str(first.body_html) in pages[0].text

    # Members find members-only stories; the public only the approved ones.
    shared = db.session.scalar(select(Story).where(Story.audience == "members").order_by(Story.updated_at.desc()))
    assert shared.title in client.get("/stories").text
    approved = db.session.scalar(select(Story).where(Story.published_html.is_not(None), Story.withdrawn_at.is_(None))
                                 .order_by(Story.published_at.desc()))
    anonymous = app.test_client()
    public_list = anonymous.get("/stories").text
    assert approved.published_title in public_list
    assert shared.title not in public_list or shared.title == approved.published_title

    # Search finds the generated posts (the index is kept by the database, not by the generator).
    results = client.get("/search?q=neurologist")
    assert results.status_code == 200
    assert "<mark>neurologist</mark>" in results.text.lower()

    # The hub pages are there too.
    assert anonymous.get("/resources").status_code == 200
