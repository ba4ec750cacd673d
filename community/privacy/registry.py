"""What each feature keeps about a member. Every feature registers its parts when the app starts (forum posts,
stories, the symptom diary...), naming the columns that point at a member which each part covers and how to
export it; privacy itself knows no feature, and a test checks that every column naming a member is covered.

An exporter returns JSON-ready values (str, int, float, bool, None, lists and dicts of them) in the words a member
would recognise, never internal codes alone, and only what is about or by that member."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PersonalData:
    """One part of a member's data: its key in the export, its heading, the `table.column`s pointing at a member
    it covers, and how to export it."""

    key: str
    title: str
    columns: frozenset[str]
    export: Callable[[Any], Any]
    # One sentence for the export page: what this is and why we keep it.
    why: str = ""
    # Where it goes: FIRST (the account itself, whichever blueprint the app registers first), IN_TURN (the order
    # features registered, the default) or LAST (e.g. the pages part, though pages registers first).
    place: int = 1


FIRST, IN_TURN, LAST = 0, 1, 2


_parts: dict[str, PersonalData] = {}


def register(part: PersonalData) -> None:
    """Add (or, registering again, replace) a part; the export lists parts by `place`, then in the order they were
    first added."""
    _parts[part.key] = part


def parts() -> list[PersonalData]:
    return sorted(_parts.values(), key=lambda part: part.place)


def covered_columns() -> set[str]:
    return {column for part in _parts.values() for column in part.columns}
