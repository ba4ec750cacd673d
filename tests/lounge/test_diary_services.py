"""The diary's rules (community/lounge/diary.py) and its chart's geometry (community/lounge/diary_chart.py), without
the pages: what an entry may hold, the summary's figures from known numbers, and one point per entry."""

import re
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from community.lounge import diary
from community.lounge.diary_chart import Point, chart_svg, positions
from community.lounge.models import DiaryEntry
from tests.factories import make_member


def _values(**change):
    return {"day": date(2026, 1, 5), "headache_upright": "5", "headache_lying": "1", **change}


def test_a_good_entry_is_cleaned_and_put_in_order(app, db):
    member = make_member()
    entry = diary.save_entry(member, None, **_values(symptoms=["brain_fog", "neck_pain", "brain_fog"],
                                                     other_symptoms="  Ringing \n in ears ", upright_minutes="120",
                                                     treatment="blood_patch", notes="Line one\r\nLine two\x00"))
    assert entry.symptoms == "neck_pain,brain_fog" and entry.symptom_keys == ["neck_pain", "brain_fog"]
    assert entry.other_symptoms == "Ringing in ears" and entry.notes == "Line one\nLine two"
    assert (entry.upright_minutes, entry.treatment, entry.owner_id) == (120, "blood_patch", member.id)


@pytest.mark.parametrize("value", ["27/11/2025", "2025-11-27", "27.11.2025", date(2025, 11, 27)])
def test_dates_can_be_picked_or_typed(value):
    assert diary.parse_day(value, today=date(2026, 1, 1)) == date(2025, 11, 27)


@pytest.mark.parametrize("value", ["", "31/02/2025", "2025-13-01", "1999-12-31", "2026-01-02", "soon", None])
def test_unreal_early_or_future_dates_are_refused(value):
    with pytest.raises(diary.DiaryError) as refused:
        diary.parse_day(value, today=date(2026, 1, 1))
    assert refused.value.field == "day" and "today or earlier" in refused.value.message


@pytest.mark.parametrize(("change", "field"), [
    ({"headache_upright": None}, "headache_upright"), ({"headache_upright": "5.5"}, "headache_upright"),
    ({"headache_upright": True}, "headache_upright"), ({"headache_lying": "11"}, "headache_lying"),
    ({"upright_minutes": "45"}, "upright_minutes"), ({"symptoms": ["fever"]}, "symptoms"),
    ({"treatment": "blood patch"}, "treatment"), ({"treatment_details": "x" * 201}, "treatment_details"),
])
def test_wrong_values_are_refused_with_their_field(app, db, change, field):
    with pytest.raises(diary.DiaryError) as refused:
        diary.check_entry(make_member(), **_values(**change))
    assert refused.value.field == field


def test_another_members_entry_cannot_be_changed_or_deleted_through_the_service(app, db):
    owner, other = make_member(), make_member()
    entry = diary.save_entry(owner, None, **_values())
    with pytest.raises(diary.DiaryError):
        diary.save_entry(other, entry, **_values(headache_upright="0"))
    with pytest.raises(diary.DiaryError):
        diary.delete_entry(other, entry)
    assert diary.own_entry(other, entry.id) is None and diary.own_entry(owner, entry.id) is entry
    assert diary.own_entry(owner, "nonsense") is None and diary.own_entry(owner, 2**40) is None


def _entry(day, upright, lying, minutes=None, symptoms="", other="", treatment="", details="", notes=""):
    return DiaryEntry(day=day, headache_upright=upright, headache_lying=lying, upright_minutes=minutes,
                      symptoms=symptoms, other_symptoms=other, treatment=treatment, treatment_details=details,
                      notes=notes)


def test_the_summary_figures_from_known_numbers():
    day = date(2026, 3, 1)
    entries = [_entry(day, 9, 3, 5, "brain_fog,nausea", notes="Bad morning"),
               _entry(day, 6, 2, 60, "brain_fog"),
               _entry(day + timedelta(days=1), 4, 1, 240, "", other="Metallic taste", treatment="blood_patch",
                      details="Second patch"),
               _entry(day + timedelta(days=2), 2, 2, None, "neck_pain")]
    summary = diary.summarise(entries, day, day + timedelta(days=6))
    # upright 21/4 = 5.25 → 5.3 (rounded half up, not to even); lying 8/4 = 2.0; difference 3.3
    assert (summary.count, summary.average_upright, summary.average_lying, summary.difference) == \
        (4, Decimal("5.3"), Decimal("2.0"), Decimal("3.3"))
    assert summary.typical_upright == "30 minutes to an hour" and summary.upright_noted == 3
    assert summary.symptom_counts == [("Neck pain or stiffness", 1), ("Nausea or sickness", 1), ("Brain fog", 2),
                                      ("Other symptoms (written in)", 1)]
    assert [entry.treatment_details for entry in summary.treatments] == ["Second patch"]
    assert [entry.notes for entry in summary.notes] == ["Bad morning"]
    empty = diary.summarise([], day, day)
    assert empty.count == 0 and empty.average_upright is None


def test_the_typical_upright_time_is_a_real_choice():
    assert diary.median_upright([]) is None
    assert diary.median_upright([480, 5, 30]) == 30
    assert diary.median_upright([5, 15, 60, 1440]) == 15


def test_the_period_is_checked(app, db):
    member = SimpleNamespace(time_zone="Europe/London")
    today = diary.today_for(member)
    assert diary.check_period(member, "", "") == (today - timedelta(days=27), today)
    assert diary.check_period(member, (today - timedelta(days=365)).isoformat(), today.isoformat())[1] == today
    for start, end, field in [("2026-01-10", "2026-01-01", "start"), ("", today.isoformat(), "start"),
                              ((today - timedelta(days=366)).isoformat(), today.isoformat(), "start"),
                              (today.isoformat(), (today + timedelta(days=1)).isoformat(), "end")]:
        with pytest.raises(diary.DiaryError) as refused:
            diary.check_period(member, start, end)
        assert refused.value.field == field


def test_today_is_the_members_own_day():
    assert diary.today_for(SimpleNamespace(time_zone="Pacific/Kiritimati")) >= \
        diary.today_for(SimpleNamespace(time_zone="Pacific/Pago_Pago"))


def test_the_chart_draws_one_point_of_each_kind_per_entry_and_nothing_else():
    start, end = date(2026, 1, 1), date(2026, 1, 28)
    points = [Point(date(2026, 1, 3), 7, 2), Point(date(2026, 1, 3), 5, 1, treatment=True),
              Point(date(2026, 1, 20), 10, 0), Point(date(2025, 12, 1), 3, 3)]  # the last is outside the period
    svg = str(chart_svg(points, start, end, "Title <b>", "Desc & more"))
    assert svg.count('<circle class="point-upright"') == 3 and svg.count('class="point-lying"') == 3
    assert svg.count("<circle") == 3 and svg.count("<path") == 3
    assert "<title id=\"diary-chart-title\">Title &lt;b&gt;</title>" in svg and "Desc &amp; more" in svg
    assert 'role="img"' in svg and 'aria-labelledby="diary-chart-title diary-chart-desc"' in svg
    assert 'width="100%"' in svg and "viewBox=" in svg and "<script" not in svg and "style=" not in svg
    assert svg.count('class="treatment-marker"') == 1 and 'stroke-dasharray="7 5"' in svg
    ys = [float(y) for y in re.findall(r'<circle class="point-upright" cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert ys[2] < ys[0] < ys[1]  # 10 is highest, then 7, then 5


def test_entries_on_one_day_sit_side_by_side_within_the_day():
    start, end = date(2026, 1, 1), date(2026, 1, 10)
    same_day = [Point(date(2026, 1, 2), 1, 1)] * 3 + [Point(date(2026, 1, 3), 1, 1)]
    xs = positions(same_day, start, end)
    slot = (xs[3] - xs[1])  # the next day's middle minus this day's middle
    assert xs[0] < xs[1] < xs[2] < xs[3] and xs[2] - xs[0] < slot
    empty = str(chart_svg([], start, end, "T", "D"))
    assert "point-upright" not in empty and "<svg" in empty
