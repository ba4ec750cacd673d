"""The faster ways pages are drawn (community.forms, community.links, community.dates) write exactly what the slower
ones did: the same fields, the same addresses, the same dates, for every reader."""

from datetime import UTC, datetime

import pytest
from flask import url_for
from wtforms import Form, RadioField, SelectChoice, SelectField
from wtforms.validators import DataRequired
from wtforms.widgets import Select

from community import forms
from community.accounts.forms import TIME_ZONES, ProfileForm
from community.dates import day_and_time


def _wtforms_select(field) -> str:
    """A fresh Select is WTForms' own rendering (the cached one is only the field's widget)."""
    return Select()(field, **{"class": "input"})


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Europe/London", "Mars/Base", None])
def test_time_zone_select_is_the_same_for_any_chosen_zone(app, zone):
    with app.test_request_context("/account"):
        form = ProfileForm(data={"time_zone": zone})
        drawn = form.time_zone(**{"class": "input"})
        assert drawn == _wtforms_select(form.time_zone)
        assert drawn.count("<option") == len(TIME_ZONES)
        assert drawn.count(" selected") == (1 if zone in TIME_ZONES else 0)
        assert form.time_zone(**{"class": "input"}) == drawn  # from the kept copy


class _Choices(Form):
    size = RadioField("Size", choices=[SelectChoice("s", "Small <1m>"), SelectChoice("l", "Large")],
                      validators=[DataRequired()])
    grouped = SelectField("Grouped", choices=[SelectChoice("a", "A", optgroup="Near"),
                                              SelectChoice("b", "B", optgroup="Far")],
                          widget=forms.SelectWithCachedOptions())


@pytest.mark.parametrize("size", ["s", "l", "nothing we offered", None])
def test_radio_buttons_are_wtforms_own(size):
    form = _Choices(data={"size": size})
    expected = [(option(), option.label()) for option in form.size]
    assert forms.radio_buttons(form.size) == expected
    assert forms.radio_buttons(form.size) == expected  # from the kept copy
    assert ("checked" in str(expected[0][0])) == (size == "s")
    assert 'required' in str(expected[0][0])


def test_a_select_with_option_groups_is_left_to_wtforms():
    form = _Choices(data={"grouped": "b"})
    assert form.grouped() == Select()(form.grouped)
    assert "<optgroup" in form.grouped()


def test_template_addresses_are_flasks_own_under_any_prefix(app):
    calls = [("membership.index", {}), ("forums.thread", {"thread_id": 5}),
             ("forums.thread", {"thread_id": 5, "page": None}), ("forums.thread", {"thread_id": 1, "page": True}),
             ("forums.thread", {"thread_id": 1, "page": 1}), ("forums.reply", {"thread_id": 5, "quote": 3,
                                                                                "_anchor": "body"}),
             ("pages.home", {"_external": True}), ("static", {"filename": "css/site.css"})]
    template_url_for = app.jinja_env.globals["url_for"]
    for prefix in ("", "/community"):
        with app.test_request_context("/", base_url=f"http://localhost{prefix}"):
            for endpoint, values in calls * 2:
                assert template_url_for(endpoint, **values) == url_for(endpoint, **values), (prefix, endpoint, values)
            assert template_url_for("membership.index").startswith(prefix + "/")


def test_dates_are_shown_in_each_readers_zone(app):
    moment = datetime(2027, 3, 3, 19, 5, tzinfo=UTC)
    assert day_and_time(moment, "Europe/London") == "3 March 2027 at 19:05"
    assert day_and_time(moment, "Asia/Tokyo") == "4 March 2027 at 04:05"
    assert day_and_time(moment, "Europe/London") == "3 March 2027 at 19:05"
