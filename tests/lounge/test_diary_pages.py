"""The symptom diary's pages (community/lounge/diary_pages.py): adding, changing and deleting entries with kind
refusals and every value kept, the chart (one point per entry per series) and its table, the CSV, the appointment
summary, and that nobody else's entry can ever be read or changed through any route, whatever their role."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.forms import new_form_token
from community.lounge import diary
from community.lounge.models import DiaryEntry
from tests.conftest import csrf_token_from, submit
from tests.core.test_page_weight import page_weight
from tests.factories import make_member, make_user


def _entry(owner, days_ago=0, upright=6, lying=2, **values):
    values = {"upright_minutes": 30, "symptoms": ["brain_fog"], **values}
    return diary.save_entry(owner, None, day=diary.today_for(owner) - timedelta(days=days_ago),
                            headache_upright=upright, headache_lying=lying, **values)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(DiaryEntry))


def _form(day, upright="6", lying="2", **extra):
    return {"day": day.isoformat() if hasattr(day, "isoformat") else day, "headache_upright": upright,
            "headache_lying": lying, "upright_minutes": "30", "symptoms": ["nausea", "brain_fog"],
            "other_symptoms": "", "treatment": "", "treatment_details": "", "notes": "", **extra}


def test_the_empty_diary_says_what_it_is_for_and_offers_an_entry(client, as_role):
    as_role("member")
    page = client.get("/lounge/diary").text
    assert "so you can show your doctor how things change" in page
    assert 'href="/lounge/diary/new"' in page and "<svg class=\"diary-chart\"" not in page


def test_a_member_adds_an_entry_and_sees_it_in_the_chart_and_table(client, as_role):
    member = as_role("member")
    today = diary.today_for(member)
    response = submit(client, "/lounge/diary/new", _form(today, notes="Better after lying flat."))
    assert response.status_code == 302 and response.location == "/lounge/diary"
    entry = db.session.scalar(select(DiaryEntry))
    assert (entry.owner_id, entry.day, entry.headache_upright, entry.headache_lying, entry.upright_minutes,
            entry.symptoms, entry.notes) == (member.id, today, 6, 2, 30, "nausea,brain_fog",
                                            "Better after lying flat.")
    page = client.get("/lounge/diary").text
    assert f"Your diary entry for {today.strftime('%-d %B %Y')} is saved." in page
    assert page.count('class="point-upright"') == 1 and page.count('class="point-lying"') == 1
    assert "Nausea or sickness, Brain fog" in page
    assert "The table below has the same figures" in page and 'role="img"' in page


def test_the_same_new_entry_form_sent_twice_saves_one_entry(client, as_role):
    """A double tap on "Save this entry", or a retried request, must not put the same day in the diary twice."""
    member = as_role("member")
    page = client.get("/lounge/diary/new").text
    token = re.search(r'name="form_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="form_token"', page)
    form_token = token.group(1) or token.group(2)
    data = {**_form(diary.today_for(member)), "csrf_token": csrf_token_from(page), "form_token": form_token}
    first, second = client.post("/lounge/diary/new", data=data), client.post("/lounge/diary/new", data=data)
    assert first.status_code == second.status_code == 302
    assert _count() == 1
    # A fresh form is a new entry (two entries on one day are allowed: mornings and evenings differ).
    assert submit(client, "/lounge/diary/new", _form(diary.today_for(member), upright="3")).status_code == 302
    assert _count() == 2


def test_a_form_token_that_is_not_ours_is_ignored_and_the_entry_saved(client, as_role):
    member = as_role("member")
    for token in ("", "x", "<script>", "a" * 41):
        assert submit(client, "/lounge/diary/new", {**_form(diary.today_for(member)), "form_token": token}) \
            .status_code == 302
    assert _count() == 4
    assert db.session.scalar(select(func.count()).where(DiaryEntry.form_token.is_not(None))) == 0


def test_one_members_form_token_never_returns_another_members_entry(db):
    first, second = make_member(), make_member()
    token = new_form_token()
    theirs = diary.save_entry(first, None, form_token=token, day=diary.today_for(first), headache_upright=5,
                              headache_lying=1)
    mine = diary.save_entry(second, None, form_token=token, day=diary.today_for(second), headache_upright=2,
                            headache_lying=0)
    assert mine.id != theirs.id and (mine.owner_id, mine.headache_upright) == (second.id, 2)
    again = diary.save_entry(first, None, form_token=token, day=diary.today_for(first), headache_upright=9,
                             headache_lying=9)
    assert again.id == theirs.id and again.headache_upright == 5


def test_the_new_entry_form_starts_from_today_and_the_latest_scores(client, as_role):
    member = as_role("member")
    first = client.get("/lounge/diary/new").text
    assert f'value="{diary.today_for(member).isoformat()}"' in first
    unchosen = r'<input[^>]*checked[^>]*name="headache|<input[^>]*name="(headache|upright)[^>]*checked'
    assert not re.search(unchosen, first)
    assert "0 is no headache, 10 is the worst you can imagine." in first
    _entry(member, days_ago=3, upright=8, lying=3, upright_minutes=60)
    _entry(member, days_ago=5, upright=1, lying=1)
    page = client.get("/lounge/diary/new").text
    assert re.search(r'id="headache_upright-8"[^>]*value="8"|value="8"[^>]*id="headache_upright-8"', page)
    checked = re.findall(r'<input[^>]*checked[^>]*>', page)
    assert any('headache_upright-8' in tag for tag in checked) and any('headache_lying-3' in tag for tag in checked)
    assert any('value="60"' in tag for tag in checked)
    assert "Your last entry’s score is chosen" in page


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"headache_upright": ""}, "headache_upright", "Choose how bad your headache was upright, from 0 to 10"),
    ({"headache_upright": "11"}, "headache_upright", "Choose how bad your headache was upright, from 0 to 10"),
    ({"headache_lying": "-1"}, "headache_lying", "Choose how bad your headache was lying down, from 0 to 10"),
    ({"day": "tomorrow"}, "day", "The date must be today or earlier"),
    ({"day": "2026-02-30"}, "day", "The date must be today or earlier"),
    ({"day": "1999-12-31"}, "day", "The date must be today or earlier"),
    ({"upright_minutes": "7"}, "upright_minutes", "Choose one of the times listed"),
    ({"symptoms": ["nausea", "hacked"]}, "symptoms", "Choose symptoms from the list"),
    ({"treatment": "magic"}, "treatment", "Choose a treatment or procedure from the list"),
    ({"other_symptoms": "x" * 201}, "other_symptoms", "up to 200 characters"),
    ({"notes": "x" * 2001}, "notes", "up to 2,000 characters"),
])
def test_a_refused_entry_comes_back_with_the_reason_and_every_value(client, as_role, change, field, message):
    member = as_role("member")
    data = {**_form(diary.today_for(member), other_symptoms="Ringing <ears>", notes="Kept words"), **change}
    response = submit(client, "/lounge/diary/new", data)
    assert response.status_code == 400
    page = response.text
    assert "<title>Error: " in page and "There is a problem" in page and message in page
    assert f'id="{field}-error"' in page or (field == "day" and 'id="day-error"' in page)
    if field != "notes":
        assert "Kept words" in page
    if field != "other_symptoms":
        assert 'value="Ringing &lt;ears&gt;"' in page
    assert _count() == 0


def test_a_future_date_in_the_members_own_zone_is_refused(client, as_role):
    member = as_role("member")
    tomorrow = diary.today_for(member) + timedelta(days=1)
    response = submit(client, "/lounge/diary/new", _form(tomorrow))
    assert response.status_code == 400 and "The date must be today or earlier" in response.text
    assert _count() == 0


def test_control_characters_are_cleaned(client, as_role):
    member = as_role("member")
    submit(client, "/lounge/diary/new", _form(diary.today_for(member), notes="a\x00b\x07c\nline two",
                                              other_symptoms="d\x1be"))
    entry = db.session.scalar(select(DiaryEntry))
    assert entry.notes == "abc\nline two" and entry.other_symptoms == "de"


def test_a_member_changes_their_entry_and_every_value_is_shown_first(client, as_role):
    member = as_role("member")
    entry = _entry(member, days_ago=2, treatment="blood_patch", treatment_details="First patch", notes="Tired")
    page = client.get(f"/lounge/diary/{entry.id}").text
    assert "Change a diary entry" in page and 'value="First patch"' in page and "Tired" in page
    response = submit(client, f"/lounge/diary/{entry.id}", _form(entry.day, upright="3", lying="0",
                                                                   treatment="blood_patch"))
    assert response.status_code == 302
    db.session.refresh(entry)
    assert (entry.headache_upright, entry.headache_lying, entry.treatment) == (3, 0, "blood_patch")
    assert _count() == 1


def test_a_member_deletes_their_entry_after_being_asked(client, as_role):
    member = as_role("member")
    entry = _entry(member, notes="To go")
    page = client.get(f"/lounge/diary/{entry.id}/delete").text
    assert "Delete this diary entry?" in page and "To go" in page
    response = submit(client, f"/lounge/diary/{entry.id}/delete", {})
    assert response.status_code == 302 and _count() == 0


ENTRY_ROUTES = ["/lounge/diary/{id}", "/lounge/diary/{id}/delete"]


@pytest.mark.parametrize("role", ["member", "moderator", "admin"])
def test_nobody_reads_or_changes_another_members_entry_by_guessing_ids(client, as_role, role):
    owner = make_member()
    theirs = _entry(owner, upright=9, lying=4, notes="Private words")
    as_role(role)
    token = csrf_token_from(client.get("/lounge/diary/new").text)
    for guess in (theirs.id, theirs.id + 1, 0, 2**31, 999999):
        for route in ENTRY_ROUTES:
            url = route.format(id=guess)
            assert client.get(url).status_code == 404, url
            posted = client.post(url, data={"csrf_token": token, **_form(theirs.day, upright="0", lying="0")})
            assert posted.status_code == 404, url
    db.session.refresh(theirs)
    assert (theirs.headache_upright, theirs.headache_lying, theirs.notes) == (9, 4, "Private words")
    assert _count() == 1
    for url in ("/lounge/diary", "/lounge/diary/diary.csv", "/lounge/diary/summary", "/lounge/diary?weeks=12"):
        assert "Private words" not in client.get(url).text
    assert client.get("/lounge/diary").text.count('class="point-upright"') == 0


def test_visitors_and_people_without_membership_are_sent_to_join(client, as_role):
    entry = _entry(make_member())
    urls = ["/lounge/diary", "/lounge/diary/new", f"/lounge/diary/{entry.id}", f"/lounge/diary/{entry.id}/delete",
            "/lounge/diary/diary.csv", "/lounge/diary/summary"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/membership?next=")
    as_role("registered")
    for url in urls:
        assert client.get(url).location.startswith("/membership")
    token = csrf_token_from(client.get("/contact").text)
    assert client.post(f"/lounge/diary/{entry.id}/delete", data={"csrf_token": token}).location \
        .startswith("/membership")
    assert _count() == 1


def test_the_chart_has_one_point_per_entry_and_marks_treatment_days(client, as_role):
    member = as_role("member")
    _entry(member, days_ago=1, upright=7)
    _entry(member, days_ago=1, upright=3)  # the same day: side by side
    _entry(member, days_ago=6, treatment="blood_patch")
    _entry(member, days_ago=40)  # outside 4 weeks
    page = client.get("/lounge/diary").text
    assert page.count('class="point-upright"') == 3 and page.count('class="point-lying"') == 3
    assert page.count("<tbody>") == 1 and page.count("<tr><th scope=\"row\">") == 3
    assert "Epidural blood patch" in page
    start = page.index('<svg class="diary-chart"')
    svg = page[start:page.index("</svg>", start)]
    assert svg.count('<line x1') >= 6 and 'class="treatment-marker"' in svg
    xs = [float(x) for x in re.findall(r'<circle class="point-upright" cx="([\d.]+)"', svg)]
    assert len(set(xs)) == 3
    wide = client.get("/lounge/diary?weeks=8").text
    assert wide.count('class="point-upright"') == 4 and 'aria-current="page">8 weeks' in wide
    assert client.get("/lounge/diary?weeks=5").text.count('class="point-upright"') == 3  # back to 4


def test_the_csv_round_trips_every_value(client, as_role):
    member = as_role("member")
    tricky = ["=SUM(A1:A9)", "-2 better", "Commas, \"quotes\" and\nnew lines", "Ünïcödé ☕ 頭痛", "+44 7700",
              "@home", "'quoted already", "'=SUM(B1)"]
    entries = [_entry(member, days_ago=index, upright=index % 11, lying=(index * 3) % 11,
                      upright_minutes=None if index == 2 else 120, symptoms=["neck_pain", "hearing"],
                      other_symptoms=f"Other {index}, with comma", treatment="surgery" if index == 1 else "",
                      treatment_details=text.replace("\n", " ") if index == 1 else "", notes=text)
               for index, text in enumerate(tricky)]
    response = client.get("/lounge/diary/diary.csv")
    assert response.mimetype == "text/csv"
    assert f'filename="symptom-diary-{diary.today_for(member).isoformat()}.csv"' in \
        response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0].keys()) == diary.CSV_HEADER

    def unsafe(cell: str) -> str:
        """csv_safe puts one ' before a cell that starts with a formula character or with ' itself."""
        return cell[1:] if cell.startswith("'") else cell

    expected = sorted(entries, key=lambda entry: (entry.day, entry.id))
    assert len(rows) == len(expected)
    for row, entry in zip(rows, expected, strict=True):
        assert row["date"] == entry.day.isoformat()
        assert int(row["headache_upright"]) == entry.headache_upright
        assert int(row["headache_lying"]) == entry.headache_lying
        assert row["upright_minutes"] == ("" if entry.upright_minutes is None else str(entry.upright_minutes))
        assert row["upright_bearable"] == ("" if entry.upright_minutes is None else "1 to 2 hours")
        assert row["symptoms"] == "Neck pain or stiffness; Tinnitus or muffled hearing"
        assert unsafe(row["other_symptoms"]) == entry.other_symptoms
        assert row["treatment"] == ("Surgery to repair the leak" if entry.treatment else "")
        assert unsafe(row["treatment_details"]) == entry.treatment_details
        assert unsafe(row["notes"]) == entry.notes
    formula = next(row for row in rows if row["notes"].startswith("'="))
    assert formula["notes"] == "'=SUM(A1:A9)"


def test_the_summary_gives_the_right_averages_and_counts(client, as_role):
    member = as_role("member")
    # upright 8, 7, 6, 4 → 6.25 → 6.3; lying 2, 1, 1, 0 → 1.0; difference 5.3
    _entry(member, days_ago=1, upright=8, lying=2, upright_minutes=15, symptoms=["brain_fog", "nausea"])
    _entry(member, days_ago=2, upright=7, lying=1, upright_minutes=30, symptoms=["brain_fog"],
           treatment="blood_patch", treatment_details="Second patch", notes="Felt better by evening")
    _entry(member, days_ago=3, upright=6, lying=1, upright_minutes=120, symptoms=["brain_fog"])
    _entry(member, days_ago=4, upright=4, lying=0, upright_minutes=None, symptoms=[])
    _entry(member, days_ago=60, upright=10, lying=10)  # outside the period
    page = client.get("/lounge/diary/summary").text
    assert "Diary entries</dt><dd>4</dd>" in page
    assert "Average headache upright</dt><dd>6.3 out of 10" in page
    assert "Average headache lying down</dt><dd>1.0 out of 10" in page
    assert "5.3 worse upright" in page
    assert "15 to 30 minutes (the middle of 3 noted)" in page
    assert "Brain fog: on 3 of 4 entries" in page and "Nausea or sickness: on 1 of 4 entries" in page
    assert "Epidural blood patch: Second patch" in page and "Felt better by evening" in page
    assert page.count('class="point-upright"') == 4
    start = diary.today_for(member) - timedelta(days=2)
    narrow = client.get(f"/lounge/diary/summary?from={start.isoformat()}&to={start.isoformat()}").text
    assert "Diary entries</dt><dd>1</dd>" in narrow and "7.0 out of 10" in narrow


@pytest.mark.parametrize(("query", "message"), [
    ("from=2026-11-10&to=2026-11-01", "The first day must be on or before the last day."),
    ("from=2099-01-01&to=2099-01-02", "The date must be today or earlier"),
    ("from=2020-01-01&to=2022-01-01", "Choose a period of a year or less."),
    ("from=nonsense&to=", "The date must be today or earlier"),
])
def test_a_wrong_summary_period_is_refused_kindly(client, as_role, query, message):
    as_role("member")
    response = client.get("/lounge/diary/summary?" + query)
    assert response.status_code == 400 and message in response.text and "<title>Error: " in response.text


def _many(member, count):
    for index in range(count):
        _entry(member, days_ago=index % 27, upright=index % 11, symptoms=["brain_fog", "neck_pain"],
               treatment="medication" if index % 9 == 0 else "")


@pytest.mark.parametrize("url", ["/lounge/diary", "/lounge/diary/summary", "/lounge/diary/diary.csv"])
def test_query_counts_do_not_grow_with_entries(app, client, as_role, count_queries, url):
    member = as_role("member")
    _many(member, 2)
    client.get(url)
    with count_queries() as few:
        client.get(url)
    _many(member, 38)
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_twelve_weeks_of_entries_stay_under_the_page_budget(app, client, as_role):
    member = as_role("member")
    for index in range(84):
        _entry(member, days_ago=index, upright=index % 11, lying=index % 4, symptoms=["brain_fog", "neck_pain"],
               treatment="medication" if index % 20 == 0 else "")
    weight = page_weight(client, "/lounge/diary?weeks=12")
    assert weight < 60_000
    assert page_weight(client, "/lounge/diary/summary") < 60_000


def test_saving_is_rate_limited_kindly(app, client, as_role, monkeypatch):
    member = as_role("member")
    monkeypatch.setattr(diary.SAVE_LIMIT, "allows", lambda who: False)
    response = submit(client, "/lounge/diary/new", _form(diary.today_for(member), notes="Keep me"))
    assert response.status_code == 400 and "Please wait an hour" in response.text and "Keep me" in response.text
    assert _count() == 0


def test_staff_see_only_their_own_diary(client, as_role):
    member = make_member()
    _entry(member, notes="The member's own")
    admin = as_role("admin")
    assert make_user  # staff are members here too
    assert client.get("/lounge/diary").status_code == 200
    assert "The member's own" not in client.get("/lounge/diary").text
    _entry(admin, notes="The admin's own")
    assert client.get("/lounge/diary").text.count('class="point-upright"') == 1


# Every entry, page by page ------------------------------------------------------------------------------------

def _days_listed(page: str) -> list[str]:
    start = page.index('<ul class="diary-entries">')
    return re.findall(r"<h3>([^<]+)</h3>", page[start:page.index("</ul>", start)])


def test_every_entry_can_be_reached_twenty_to_a_page_newest_first(client, as_role):
    member = as_role("member")
    entries = [_entry(member, days_ago=index, upright=index % 11) for index in range(25)]
    today = diary.today_for(member)
    day = lambda days_ago: (today - timedelta(days=days_ago)).strftime("%-d %B %Y")  # noqa: E731
    diary_page = client.get("/lounge/diary").text
    assert '<a href="/lounge/diary/entries">All your entries</a>' in diary_page
    assert len(_days_listed(diary_page)) == 5

    first = client.get("/lounge/diary/entries").text
    assert _days_listed(first) == [day(n) for n in range(20)]
    assert f"Entries 1 to 20 of 25: {day(0)} back to {day(19)}</h2>" in first
    assert '<nav aria-label="Pages of entries">' in first and "Page 1 of 2" in first
    assert '<a href="/lounge/diary/entries?page=2" rel="next">Older entries</a>' in first
    assert "Newer entries" not in first
    assert f'href="/lounge/diary/{entries[0].id}"' in first and f'href="/lounge/diary/{entries[19].id}/delete"' in first

    second = client.get("/lounge/diary/entries?page=2").text
    assert _days_listed(second) == [day(n) for n in range(20, 25)]  # the 5 oldest
    assert "Entries 21 to 25 of 25" in second and "Page 2 of 2" in second
    assert '<a href="/lounge/diary/entries" rel="prev">Newer entries</a>' in second and "Older entries" not in second
    assert f'href="/lounge/diary/{entries[24].id}"' in second and f'href="/lounge/diary/{entries[0].id}"' not in second
    assert "<title>All your diary entries (page 2 of 2)" in second


@pytest.mark.parametrize(("page", "shown"), [
    ("0", 1), ("-1", 1), ("abc", 1), ("", 1), ("1.5", 1), ("%00", 1), ("2", 2), ("3", 2), ("99999", 2),
    ("9" * 40, 2),
])
def test_a_wrong_page_number_gives_the_first_or_the_last_page(client, as_role, page, shown):
    member = as_role("member")
    for index in range(21):
        _entry(member, days_ago=index)
    response = client.get(f"/lounge/diary/entries?page={page}")
    assert response.status_code == 200
    assert f"Page {shown} of 2" in response.text and len(_days_listed(response.text)) == (20 if shown == 1 else 1)


def test_with_no_entries_the_list_says_so_and_offers_one(client, as_role):
    as_role("member")
    for url in ("/lounge/diary/entries", "/lounge/diary/entries?page=5"):
        page = client.get(url).text
        assert "You have no diary entries yet." in page and 'href="/lounge/diary/new"' in page
        assert "Pages of entries" not in page


def test_one_page_of_entries_has_no_page_links(client, as_role):
    member = as_role("member")
    _entry(member, notes="Only one")
    page = client.get("/lounge/diary/entries").text
    assert "Your entry: " in page and len(_days_listed(page)) == 1 and "Pages of entries" not in page


def test_only_the_members_own_entries_are_listed(client, as_role):
    other = make_member()
    theirs = [_entry(other, days_ago=index, other_symptoms="Their secret") for index in range(3)]
    member = as_role("member")
    _entry(member, other_symptoms="Mine")
    page = client.get("/lounge/diary/entries").text
    assert "Mine" in page and "Their secret" not in page and len(_days_listed(page)) == 1
    assert not any(f'href="/lounge/diary/{entry.id}"' in page for entry in theirs)
    assert "Their secret" not in client.get("/lounge/diary/entries?page=2").text


def test_the_query_count_of_all_entries_does_not_grow_with_entries(client, as_role, count_queries):
    member = as_role("member")
    _many(member, 2)
    client.get("/lounge/diary/entries")
    with count_queries() as few:
        client.get("/lounge/diary/entries")
    _many(member, 48)
    with count_queries() as many:
        assert client.get("/lounge/diary/entries?page=2").status_code == 200
    assert len(many) == len(few)


def test_a_full_page_of_long_entries_stays_under_the_page_budget(client, as_role):
    member = as_role("member")
    for index in range(25):
        _entry(member, days_ago=index, symptoms=list(diary.SYMPTOMS), other_symptoms="x" * 200,
               treatment="other", treatment_details="y" * 200)
    assert page_weight(client, "/lounge/diary/entries") < 60_000


def test_changing_an_older_entry_from_the_list_works(client, as_role):
    member = as_role("member")
    old = _entry(member, days_ago=30, upright=9)
    for index in range(20):
        _entry(member, days_ago=index)
    assert f'href="/lounge/diary/{old.id}"' not in client.get("/lounge/diary").text
    assert f'href="/lounge/diary/{old.id}"' in client.get("/lounge/diary/entries?page=2").text
    response = submit(client, f"/lounge/diary/{old.id}", _form(old.day, upright="2"))
    assert response.status_code == 302
    db.session.refresh(old)
    assert old.headache_upright == 2


# Before and after a treatment, on the summary -----------------------------------------------------------------

def test_the_summary_compares_before_and_after_a_treatment(client, as_role):
    member = as_role("member")
    # before (days 10 to 6 ago): upright 9, 8, 8, 7, 8 → 8.0; lying 3, 2, 3, 2, 2 → 2.4
    for days_ago, upright, lying in [(10, 9, 3), (9, 8, 2), (8, 8, 3), (7, 7, 2), (6, 8, 2)]:
        _entry(member, days_ago=days_ago, upright=upright, lying=lying)
    patch = _entry(member, days_ago=5, upright=10, lying=10, treatment="blood_patch")
    # after (days 4 to 0 ago, six entries): upright 5, 4, 4, 4, 3, 4 → 4.0; lying 1, 1, 1, 0, 0, 1 → 0.7
    for days_ago, upright, lying in [(4, 5, 1), (3, 4, 1), (2, 4, 1), (1, 4, 0), (0, 3, 0), (0, 4, 1)]:
        _entry(member, days_ago=days_ago, upright=upright, lying=lying)
    page = client.get("/lounge/diary/summary").text
    day = patch.day.strftime("%-d %B %Y")
    assert "<h2>Before and after the treatment</h2>" in page
    assert "Before is every entry in this period before the treatment’s day; after is every entry after that day." \
        in page
    assert (f"Before the epidural blood patch on {day} (5 entries): headache upright 8.0, lying down 2.4. "
            "After it (6 entries): upright 4.0, lying down 0.7.") in page
    # The period's own figures still count all 12 entries, the treatment day's too.
    assert "Diary entries</dt><dd>12</dd>" in page
    assert "Average headache upright</dt><dd>6.2 out of 10" in page  # 74/12 = 6.17
    assert "Average headache lying down</dt><dd>2.2 out of 10" in page  # 26/12 = 2.17


def test_a_treatment_with_no_entries_after_it_is_not_compared(client, as_role):
    member = as_role("member")
    _entry(member, days_ago=3, upright=8)
    _entry(member, days_ago=0, treatment="surgery", treatment_details="Today")
    page = client.get("/lounge/diary/summary").text
    assert "Surgery to repair the leak: Today" in page
    assert "Before and after" not in page and "Before the surgery" not in page
    start = diary.today_for(member) - timedelta(days=5)
    narrow = client.get(f"/lounge/diary/summary?from={start.isoformat()}&to={start.isoformat()}").text
    assert "Before and after" not in narrow
