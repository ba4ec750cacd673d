"""The patient checklist (/lounge/checklist): a member ticks and annotates the steps, their choices come back the
next time, nobody else ever sees them, a too-long note is refused with every word kept, and the print page shows
what they ticked and wrote."""

import re

from sqlalchemy import func, select

from community.extensions import db
from community.lounge import checklist
from community.lounge.models import ChecklistMark
from tests.conftest import csrf_token_from, submit
from tests.core.test_page_weight import BUDGET, page_weight
from tests.core.test_query_counts import queries_for
from tests.factories import make_member


def _ticked(page: str) -> set[str]:
    """The items whose box the page shows ticked."""
    boxes = re.findall(r'<input[^>]*name="done_(\w+)"[^>]*>', page)
    tags = re.findall(r'<input[^>]*name="done_\w+"[^>]*>', page)
    return {key for key, tag in zip(boxes, tags, strict=True) if " checked" in tag}


def _marks(user) -> dict:
    return {key: (mark.done, mark.note) for key, mark in checklist.marks_for(user).items()}


def test_the_checklist_shows_every_step_from_the_resource_hub(client, as_role):
    as_role("member")
    page = client.get("/lounge/checklist").text
    for item in checklist.ITEMS:
        assert item.title in page and f'name="done_{item.key}"' in page and f'name="note_{item.key}"' in page
    assert "0 of 7 done." in page
    assert 'href="/lounge/checklist/print"' in page


def test_a_member_ticks_and_annotates_and_finds_it_as_they_left_it(client, as_role):
    member = as_role("member")
    response = submit(client, "/lounge/checklist", {"done_keep_diary": "y", "done_ask_imaging": "y",
                                                    "note_ask_imaging": "MRI booked for 3 March – ask for the whole "
                                                                        "spine.\r\nTake the letter.",
                                                    "note_ask_specialist": "Ask Dr Shah about the London centre."})
    assert response.status_code == 302 and response.location.endswith("/lounge/checklist")
    assert _marks(member) == {"keep_diary": (True, ""),
                              "ask_imaging": (True, "MRI booked for 3 March – ask for the whole spine.\nTake the "
                                                    "letter."),
                              "ask_specialist": (False, "Ask Dr Shah about the London centre.")}
    page = client.get("/lounge/checklist").text
    assert "Your checklist is saved: 2 of 7 done." in page and "2 of 7 done." in page
    assert _ticked(page) == {"keep_diary", "ask_imaging"}
    assert "Ask Dr Shah about the London centre.</textarea>" in page


def test_unticking_and_clearing_an_item_forgets_it(client, as_role):
    member = as_role("member")
    checklist.save_checklist(member, {"keep_diary", "follow_up"}, {"follow_up": "Chase the referral."})
    submit(client, "/lounge/checklist", {"done_keep_diary": "y"})
    assert _marks(member) == {"keep_diary": (True, "")}
    assert db.session.scalar(select(func.count()).select_from(ChecklistMark)) == 1


def test_a_note_too_long_is_refused_with_every_word_kept_and_nothing_saved(client, as_role):
    member = as_role("member")
    checklist.save_checklist(member, {"keep_diary"}, {})
    long_note = "x" * (checklist.NOTE_MAX + 1)
    response = submit(client, "/lounge/checklist", {"done_bring_support": "y", "note_bring_support": "My sister.",
                                                    "note_follow_up": long_note})
    assert response.status_code == 400
    page = response.text
    assert page.startswith("<!doctype html>") and "<title>Error: " in page
    assert 'href="#note_follow_up"' in page and "Make it 1,000 characters or fewer." in page
    assert "My sister.</textarea>" in page and long_note in page
    assert _marks(member) == {"keep_diary": (True, "")}


def test_control_characters_are_taken_out_of_notes(client, as_role):
    member = as_role("member")
    submit(client, "/lounge/checklist", {"note_follow_up": "Ring\x00 the\x07 clinic\x1b on Monday  "})
    assert _marks(member) == {"follow_up": (False, "Ring the clinic on Monday")}


def test_each_member_sees_only_their_own_checklist(client, as_role):
    other = make_member()
    checklist.save_checklist(other, {"ask_specialist"}, {"ask_specialist": "Private note about my neurologist."})
    me = as_role("member")
    page = client.get("/lounge/checklist").text
    assert "Private note about my neurologist." not in page and "0 of 7 done." in page
    assert "Private note about my neurologist." not in client.get("/lounge/checklist/print").text
    # Saving mine leaves theirs alone.
    submit(client, "/lounge/checklist", {"done_ask_specialist": "y"})
    assert _marks(other) == {"ask_specialist": (True, "Private note about my neurologist.")}
    assert _marks(me) == {"ask_specialist": (True, "")}


def test_the_print_page_says_what_is_done_and_shows_the_notes_escaped(client, as_role):
    member = as_role("member")
    checklist.save_checklist(member, {"keep_diary"}, {"discuss_treatment": "<script>alert(1)</script> Ask about a "
                                                                           "second patch."})
    page = client.get("/lounge/checklist/print").text
    assert "Keep a symptom diary: done</h2>" in page and "Talk about treatment: not yet</h2>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ask about a second patch." in page and "<script>" not in page
    assert "Print command" in page


def test_a_post_without_its_csrf_token_changes_nothing(client, as_role):
    member = as_role("member")
    response = client.post("/lounge/checklist", data={"done_keep_diary": "y"})
    assert response.status_code == 400
    assert _marks(member) == {}


def test_a_saved_form_posted_twice_gives_the_same_checklist(client, as_role):
    member = as_role("member")
    token = csrf_token_from(client.get("/lounge/checklist").text)
    for _ in range(2):
        client.post("/lounge/checklist", data={"csrf_token": token, "done_follow_up": "y", "note_follow_up": "Done."})
    assert _marks(member) == {"follow_up": (True, "Done.")}
    assert db.session.scalar(select(func.count()).select_from(ChecklistMark)) == 1


def test_the_checklist_costs_the_same_queries_however_much_is_marked(client, login, count_queries):
    member = make_member()
    login(member)
    empty = queries_for(client, count_queries, "/lounge/checklist")
    checklist.save_checklist(member, {item.key for item in checklist.ITEMS},
                             {item.key: "A note." for item in checklist.ITEMS})
    assert queries_for(client, count_queries, "/lounge/checklist") == empty == 2
    assert queries_for(client, count_queries, "/lounge/checklist/print") == 2


def test_checklist_pages_are_within_the_page_budget_with_long_notes(client, as_role):
    member = as_role("member")
    checklist.save_checklist(member, {item.key for item in checklist.ITEMS},
                             {item.key: "word " * 190 for item in checklist.ITEMS})
    assert page_weight(client, "/lounge/checklist") <= BUDGET
    assert page_weight(client, "/lounge/checklist/print") <= BUDGET
