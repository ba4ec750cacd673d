"""Stories: the reading side. /stories lists what the reader may read (the public's approved stories; members
also find members-only ones), /stories/<id> shows one story as this reader reads it, and /stories/feed.atom is the
feed of public stories. A story the reader may not read answers 404, the same as one that does not exist.

Nothing here names the author of an anonymous story: the byline comes from services.byline and the templates are
given only the prepared StoryPage (or StoryListing), never the story's author."""

from functools import lru_cache

from flask import abort, current_app, get_template_attribute, make_response, render_template, request, url_for
from flask_login import current_user

from community.dates import reader_zone
from community.permissions import has_member_access, public
from community.security import indexable

from . import bp, services


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        return 1


@bp.route("/stories")
@public
@indexable
def index():
    page = _page_number()
    # The user itself, not the proxy: each look through `current_user` finds the user again, and the list asks
    # about its reader once a story (a third of the page's time).
    reader = current_user._get_current_object()
    stories, more = services.stories_for(reader, page)
    if page > 1 and not stories:
        abort(404)
    member = has_member_access(reader)
    # The reader's time zone found once for the page's twenty dates.
    list_html = _drawn_list(tuple(stories), member, reader_zone())
    return render_template("stories/index.html", stories=stories, list_html=list_html, page=page, more=more,
                           member=member)


_DRAWN_LISTS = "community.stories.drawn_lists"


def _drawn_list(stories: tuple, member: bool, zone):
    """The list's HTML, drawn once for each set of stories, membership and time zone it is shown with (all it
    depends on), and kept per process for the most recent 64: most visitors read the same few first pages."""
    draw = current_app.extensions.get(_DRAWN_LISTS)
    if draw is None:
        story_list = get_template_attribute("stories/_list.html", "story_list")
        draw = current_app.extensions[_DRAWN_LISTS] = lru_cache(maxsize=64)(
            lambda stories, member, zone, script_root: story_list(stories, member, zone))
    return draw(stories, member, zone, request.script_root)


@bp.route("/stories/<int:story_id>")
@public
@indexable
def read(story_id: int):
    story = services.readable_story(current_user, story_id)
    if story is None:
        abort(404)
    page = services.page_for(current_user, story)
    is_author = current_user.is_authenticated and story.author_id == current_user.id
    return render_template("stories/story.html", story=page, is_author=is_author,
                           canonical=url_for("stories.read", story_id=story.id, _external=True))


@bp.route("/stories/feed.atom")
@public
def feed():
    stories = [services.page_for(None, story) for story in services.public_stories(limit=50)]
    body = render_template("stories/feed.xml", stories=stories,
                           updated=max((s.date for s in stories if s.date), default=None))
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response
