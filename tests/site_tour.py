"""The site's people, one per role, with a little forum content by them, and every route's address filled in from
that data: shared by the tests that visit every page (tests/core/test_every_page.py) and every route as every kind
of visitor (tests/core/test_route_permissions.py)."""

import re
from datetime import timedelta

from community.cafe import schedule as cafe
from community.forums import services as forums
from community.moderation import services as moderation
from community.pages import services as pages
from community.stories import services as stories
from tests.factories import make_member, make_user

# A route's parameters, as Werkzeug writes them: <name> or <converter:name> (or <converter(args):name>).
_PARAMETER = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def make_people() -> dict:
    """The seeded pages; one registered person, member, moderator and admin (staff with two-factor on); and, under
    "forum", the values for the forum routes' parameters (see `forum_data`)."""
    pages.seed_pages()
    people = {"registered": make_user(), "member": make_member(), "moderator": make_user(role="moderator"),
              "admin": make_user(role="admin")}
    people["forum"] = forum_data(people)
    people["moderation"] = moderation_data(people)
    people["cafe"] = cafe_data()
    people["stories"] = story_data(people)
    people["lounge"] = {**letter_data(people), **diary_data(people)}
    return people


def forum_data(people) -> dict:
    """A category with a thread (a reply, an edit, a reaction) by the member, who has agreed to the guidelines,
    and a moderators-only category: the values for the forum routes' parameters. The member's posts go up at once
    (no newcomer's first posts held for a moderator), so every forum page has something on it."""
    member, moderator = people["member"], people["moderator"]
    moderation.set_setting(None, "held_first_posts", 0)
    pages.accept_guidelines(member)
    category = forums.create_category(people["admin"], "Living with a leak", "Day to day.")
    forums.create_category(people["admin"], "Moderators' room", moderators_only=True)
    first = forums.create_thread(member, category, "Lying flat", "Hello, everyone.", "mentions of pain")
    forums.create_post(moderator, forums.get_thread(moderator, first.thread_id), "Welcome.")
    forums.edit_post(member, forums.get_post(member, first.id), "Hello, everyone. Edited.", "mentions of pain")
    forums.toggle_reaction(moderator, forums.get_post(moderator, first.id), "support")
    return {"category_slug": category.slug, "category_id": category.id, "thread_id": first.thread_id,
            "post_id": first.id}


def moderation_data(people) -> dict:
    """An open queue item (the moderator flagged the member's first post), a hidden post of the member's (the
    notice they may appeal) and a watched word: the values for the moderation routes' parameters."""
    member, moderator, admin = people["member"], people["moderator"], people["admin"]
    item = moderation.flag(moderator, "forum_post", people["forum"]["post_id"], "other", "Just checking.")
    thread = forums.get_thread(member, people["forum"]["thread_id"])
    hidden = forums.create_post(member, thread, "A reply a moderator hides.")
    other = moderation.flag(admin, "forum_post", hidden.id, "unkind")
    moderation.decide(moderator, other.id, other.version, "hide", "Testing the notice.")
    entry = moderation.notices_for(member)[0].entry
    word = moderation.add_watched_word(admin, "cheap meds", "hold")
    # The hide told the member (a notification opening /standing): the notification routes get an id that is
    # nobody's, so opening one is not taken for a suspended member sent to their notice.
    return {"item_id": item.id, "kind": "forum_post", "target_id": people["forum"]["post_id"],
            "member_id": member.id, "entry_id": entry.id, "word_id": word.id, "notification_id": 999999}


def cafe_data() -> dict:
    """A café held last week (a session row, as opening the room makes one): the value for `session_id`, so the
    hosts' summary page has a café to summarise."""
    last_week = cafe.london_today() - timedelta(days=7)
    held = cafe.session_for(cafe.regular_cafe(last_week - timedelta(days=(last_week.weekday() - cafe.WEDNESDAY) % 7)))
    return {"session_id": held.id}


def story_data(people) -> dict:
    """A story by the member, shared with everyone (anonymously) and approved: the value for `story_id`, so the
    member's writing pages open (it is theirs) and the reading pages have a public story to show."""
    story = stories.save_story(people["member"], title="Three years lying flat",
                               body="It started after a lumbar puncture.\n\nWhat helped most was lying flat.",
                               procedure="lumbar_puncture", year=2023, what_helped="Caffeine, and patience.")
    stories.share(people["member"], story, "public", "anonymous", consent_version=stories.CONSENT_VERSION)
    stories.approve(people["moderator"], story)
    return {"story_id": story.id}


def letter_data(people) -> dict:
    """A letter the member filled in, and an admin's saved wording of its template: the values for `letter_id`,
    `template_key` and `version_id`."""
    from community.lounge import letters

    letter = letters.save_letter(people["member"], None, "specialist-referral",
                                 {"your_name": "Sam Jones", "clinician": "Dr Jane Smith",
                                  "procedure": "a lumbar puncture", "procedure_date": "March 2024"})
    original = letters.ORIGINALS["specialist-referral"]
    version = letters.save_template(people["admin"], "specialist-referral", original.title, original.purpose,
                                    original.body, "A first saved version", 0)
    return {"letter_id": letter.id, "template_key": "specialist-referral", "version_id": version.id}


def diary_data(people) -> dict:
    """A symptom diary entry of the member's (with a treatment, so the chart has a marker): the value for
    `diary_entry_id` (not `entry_id`, which the moderation notice's appeal route already uses)."""
    from community.lounge import diary

    entry = diary.save_entry(people["member"], None, day=diary.today_for(people["member"]), headache_upright=7,
                             headache_lying=2, upright_minutes=30, symptoms=["neck_pain", "brain_fog"],
                             other_symptoms="Metallic taste", treatment="blood_patch",
                             treatment_details="First patch", notes="Lay flat most of the day.")
    return {"diary_entry_id": entry.id}


def url_values(people) -> dict:
    """A value for each route parameter: real ids where there is data, a made-up token (1 for anything else)."""
    return {"user_id": people["member"].id, "slug": "navigating-healthcare", "revision_id": 1, "session_id": 1,
            "gift_id": 1, "token": "not-a-real-token", **people["forum"], **people.get("moderation", {}),
            **people.get("cafe", {}), **people.get("stories", {}),
            **people.get("lounge", {})}


def fill_url(rule: str, values: dict) -> str:
    """The address of a route (`rule`, as in app.url_map) with its parameters taken from `values` (1 if absent)."""
    return _PARAMETER.sub(lambda match: str(values.get(match.group(1), 1)), rule)
