"""What gets sent to a form: a plan that says, per field name, "what the page holds" (KEEP: the real CSRF token,
one-time form token and concurrency version, fetched afresh), or a list of values (none: the field is missing;
two: it is duplicated). Hypothesis draws plans; a few fixed plans run for every form first."""

from hypothesis import strategies as st

from tests.fuzz.forms_on_pages import TEXT_KINDS, Field, FormTarget

KEEP = "<what the page holds>"

# Characters a browser can send (form encoding is UTF-8, so never a lone surrogate) that tend to break things:
# NUL and other controls, bidirectional marks, zero-width and line/paragraph separators, astral characters,
# combining marks, non-characters, and the characters HTML, SQL and paths care about.
NASTY = ("\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\xa0", "\u200b", "\u200e",
         "\u200f", "\u202a", "\u202e", "\u2028", "\u2029", "\ufeff", "\ufffd", "\uffff", "\U0001f600", "\U0001d54f",
         "\U0010ffff", "\u0301", "\r", "\n", "\t", "<", ">", "&", '"', "'", "%", ";", "\\", "/", "{{", "}}", "*",
         "#", "[", "](", "`")
NUMBERS = ("0", "-1", "-0", "1e999", "NaN", "inf", "99999999999999999999999", "-99999999999999999999999", " 7 ",
           "3.5", "\u0663", "\uff17", "0x10", "1_000")
DATES = ("2026-02-30", "0000-00-00", "0001-01-01", "9999-12-31", "99999-01-01", "2026-13-01", "-2026-01-01",
         "27/03/2026", "2026-03-27T19:30", "19:99", "24:00", "23:59:60", "7pm", "")
HUGE_MIN, HUGE_MAX = 100_000, 1_000_000

nasty_text = st.lists(st.one_of(st.sampled_from(NASTY), st.text(min_size=1, max_size=4)), min_size=1,
                      max_size=12).map("".join)
any_text = st.text(max_size=60)


@st.composite
def huge_text(draw) -> str:
    """100 KB to 1 MB of text (as UTF-8), built from a short repeated piece so drawing it is quick."""
    piece = draw(st.one_of(nasty_text, st.text(min_size=1, max_size=8)))
    size = draw(st.integers(HUGE_MIN, HUGE_MAX))
    return piece * (size // max(1, len(piece.encode())) + 1)


def one_value(item: Field) -> st.SearchStrategy[str]:
    """A single value for a field: one of its options, text of every kind, or numbers and dates out of range."""
    choices = [any_text, nasty_text, st.sampled_from(NUMBERS), st.sampled_from(DATES)]
    if item.options:
        choices.insert(0, st.sampled_from(item.options))
    if item.default and item.kind in TEXT_KINDS:
        choices.insert(0, st.sampled_from(item.default).flatmap(
            lambda real: st.sampled_from(NASTY).map(lambda mark: f"{real}{mark}{real}")))
    return st.one_of(choices)


@st.composite
def field_plan(draw, item: Field):
    """KEEP, or the values to send under this name (none, one, or two of them)."""
    secret_token = _is_token(item)
    mode = draw(st.integers(0, 15 if secret_token else 9))
    if secret_token:
        # Mostly the real token, so the example reaches the form's own validation.
        return KEEP if mode < 14 else ([] if mode == 14 else [draw(any_text)])
    if mode <= 2:
        return KEEP
    if mode == 3:
        return []
    if mode == 4:
        return [draw(one_value(item)), draw(one_value(item))]
    if mode == 5:
        return [""]
    return [draw(one_value(item))]


@st.composite
def plans(draw, target: FormTarget, other_names: tuple[str, ...] = ()) -> dict:
    """A plan for every field of the form, sometimes with one field huge, and sometimes with a name the form does
    not have (one another form uses: quoted_post_id, role, user_id...)."""
    plan = {item.name: draw(field_plan(item)) for item in target.fields}
    typed = [item.name for item in target.fields if item.kind in TEXT_KINDS - {"hidden"}]
    if typed and draw(st.integers(0, 5)) == 5:
        plan[draw(st.sampled_from(typed))] = [draw(huge_text())]
    if draw(st.integers(0, 7)) == 7:
        name = draw(st.sampled_from(sorted({"id", "user_id", "role", "next", *other_names} - set(plan))))
        plan[name] = [draw(st.one_of(st.sampled_from(NUMBERS), nasty_text))]
    return plan


def fixed_plans(target: FormTarget) -> dict[str, dict]:
    """The plans every form gets, whatever Hypothesis draws: NUL bytes and other controls in every typed field,
    every field missing, choices, numbers and dates out of range, every field sent twice, and one huge field."""
    tokens = {item.name: KEEP for item in target.fields if _is_token(item)}
    typed = [item for item in target.fields if item.kind in TEXT_KINDS - {"hidden"} and item.name not in tokens]
    others = [item for item in target.fields if item not in typed and item.name not in tokens]

    def with_typed(value) -> dict:
        return {**{item.name: KEEP for item in target.fields}, **{item.name: [value(item)] for item in typed}}

    plans = {
        "NUL bytes, controls and direction marks in every typed field": with_typed(
            lambda item: f"{(item.default or [''])[0] or 'Tea'}\x00\x00\x01\x1b[31m\u200f\u202e \U0001f600\r\n\x7f"),
        "every field missing": dict(tokens),
        "choices, numbers and dates out of range": {
            **{item.name: KEEP for item in target.fields},
            **{item.name: [value] for item, value in zip(others, _cycle(("not-an-option\u202e", "99999999999999999999",
                                                                           "-1", "2026-02-30", "NaN")), strict=False)}},
        "every field sent twice": {**tokens, **{item.name: [(item.default or ["x"])[0], "another \U0001f600"]
                                                for item in typed + others}},
    }
    if typed:
        plans["one field of 300 KB"] = {**{item.name: KEEP for item in target.fields},
                                        typed[0].name: ["a\u202e\U0001f600\x00 " * 30_000]}
    return plans


def _is_token(item: Field) -> bool:
    return item.name.endswith("csrf_token") or item.name == "form_token"


def _cycle(values):
    while True:
        yield from values
