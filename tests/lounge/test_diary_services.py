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


def test_before_and_after_a_treatment_from_known_numbers():
    day = date(2026, 11, 15)
    before = [_entry(day - timedelta(days=n), upright, lying)
              for n, upright, lying in [(9, 9, 3), (8, 8, 2), (7, 8, 3), (6, 7, 2), (5, 8, 2)]]
    on_the_day = [_entry(day, 10, 10, treatment="blood_patch"), _entry(day, 10, 10, treatment="blood_patch")]
    after = [_entry(day + timedelta(days=n), upright, lying)
             for n, upright, lying in [(1, 5, 1), (2, 4, 1), (3, 4, 1), (4, 4, 0), (5, 3, 0), (6, 4, 1)]]
    summary = diary.summarise(before + on_the_day + after, day - timedelta(days=9), day + timedelta(days=6))
    # before: upright 40/5 = 8.0, lying 12/5 = 2.4; after: upright 24/6 = 4.0, lying 4/6 = 0.67 → 0.7
    assert summary.before_after == [diary.BeforeAfter(day, "the epidural blood patch", 5, Decimal("8.0"),
                                                      Decimal("2.4"), 6, Decimal("4.0"), Decimal("0.7"))]
    # The whole period's averages still count every entry, the treatment day's too: 84/13 = 6.46 → 6.5, 36/13 → 2.8
    assert (summary.average_upright, summary.average_lying) == (Decimal("6.5"), Decimal("2.8"))


def test_before_and_after_rounds_half_up_and_keeps_each_treatment_to_the_whole_period():
    day = date(2026, 3, 10)
    entries = [_entry(day - timedelta(days=3), 3, 1), _entry(day - timedelta(days=2), 2, 0),  # 2.5, 0.5
               _entry(day, 2, 1, treatment="scan"),
               _entry(day + timedelta(days=1), 2, 1), _entry(day + timedelta(days=2), 2, 0, treatment="medication"),
               _entry(day + timedelta(days=3), 1, 0)]
    found = diary.summarise(entries, day - timedelta(days=3), day + timedelta(days=3)).before_after
    assert [(item.treatment, item.before_count, item.before_upright, item.before_lying, item.after_count,
             item.after_upright, item.after_lying) for item in found] == [
        ("the scan or test", 2, Decimal("2.5"), Decimal("0.5"), 3, Decimal("1.7"), Decimal("0.3")),
        # before the medicine: every entry before its day, the scan's day and the day after it included; 9/4 = 2.25
        # → 2.3 (half up, where rounding to even would give 2.2)
        ("the new medicine or change of dose", 4, Decimal("2.3"), Decimal("0.8"), 1, Decimal("1.0"), Decimal("0.0")),
    ]


def test_a_treatment_without_entries_on_both_sides_is_not_compared():
    day = date(2026, 3, 10)
    last_day = [_entry(day - timedelta(days=1), 8, 2), _entry(day, 7, 2, treatment="blood_patch")]
    first_day = [_entry(day, 7, 2, treatment="surgery"), _entry(day + timedelta(days=1), 3, 1)]
    only_details = [_entry(day - timedelta(days=1), 8, 2), _entry(day, 7, 2, details="Saw the GP"),
                    _entry(day + timedelta(days=1), 3, 1)]
    for entries in (last_day, first_day, only_details, []):
        assert diary.summarise(entries, day - timedelta(days=1), day + timedelta(days=1)).before_after == []


def test_page_numbers_from_the_address_are_whole_and_at_least_one():
    assert [diary.page_number(value) for value in ("2", " 3 ", None, "", "two", "1.5", "-4", "0", "9" * 40)] == \
        [2, 3, 1, 1, 1, 1, 1, 1, int("9" * 40)]
