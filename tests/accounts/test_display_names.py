"""Display names: what others see must be what it looks like, and must not pass for the charity's team."""

import pytest

from community.accounts import services as accounts
from tests.conftest import submit
from tests.factories import make_user


@pytest.mark.parametrize("name", [
    "Ad\u202emin",          # right-to-left override: shows as "Adnim"-like nonsense, hides what was typed
    "Robin\u200b",          # zero-width space: two names that look the same
    "Ro\u0000bin",          # a control character
    "Robin\u2066Smith",     # a direction isolate
    "\ue000Robin",          # private use
])
def test_invisible_and_control_characters_are_refused_and_nothing_changes(client, login, db, name):
    user = make_user(display_name="Robin")
    login(user)
    response = submit(client, "/account", {"display_name": name, "time_zone": "Europe/London",
                                           "text_size": "standard"})
    assert response.status_code == 200 and "invisible or control character" in response.text
    db.session.refresh(user)
    assert user.display_name == "Robin"


@pytest.mark.parametrize("name", ["Alex (admin)", "MODERATOR Sam", "The Target CSF Leaks team", "Jo - staff",
                                  "Ｍｏｄ Jo"])
def test_names_that_pose_as_the_team_are_refused(client, login, db, name):
    user = make_user(display_name="Robin")
    login(user)
    response = submit(client, "/account", {"display_name": name, "time_zone": "Europe/London",
                                           "text_size": "standard"})
    assert "kept for the charity" in response.text
    db.session.refresh(user)
    assert user.display_name == "Robin"


@pytest.mark.parametrize(("typed", "kept"), [
    ("  Ｗｒｅｎ   Hughes ", "Wren Hughes"),   # fullwidth letters folded, spaces collapsed
    ("Modesty", "Modesty"),                  # "mod" only as a word of its own
    ("Siân", "Siân"),
    ("Chidi 👩\u200d⚕️", "Chidi 👩\u200d⚕️"),  # an emoji sequence keeps its joiner
])
def test_ordinary_names_are_kept_as_people_mean_them(db, typed, kept):
    user = make_user()
    accounts.update_profile(user, typed, "", "Europe/London", "standard")
    assert user.display_name == kept


def test_staff_may_carry_their_role_and_show_a_badge(client, as_role, db):
    as_role("admin")
    moderator = make_user(display_name="Morgan (moderator)", role="moderator")
    assert moderator.display_name == "Morgan (moderator)"
    page = client.get("/admin/members").text
    assert '<span class="tag tag-staff">Moderator</span>' in page
