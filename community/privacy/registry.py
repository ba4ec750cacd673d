"""What each feature keeps about a member. Every feature registers its parts when the app starts (forum posts,
stories, the symptom diary...), naming the columns that point at a member which each part covers and how to
export it; privacy itself knows no feature, and a test checks that every column naming a member is covered.

Erasure needs nothing from most parts: the schema already says, for each column naming a member, whether its rows
go with them (ON DELETE CASCADE) or stay without their name (SET NULL), and community.privacy.erasure applies that
on both databases. A part registers `erase` only for what the schema cannot say: a member's choice to delete their
forum posts, Stripe to cancel, records the law keeps, a pseudonym for the audit log.

An exporter returns JSON-ready values (str, int, float, bool, None, lists and dicts of them) in the words a member
would recognise, never internal codes alone, and only what is about or by that member."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from community.refusals import Refusal


@dataclass(frozen=True)
class Erasure:
    """One account being erased, as each part's `erase` sees it (before anything of the member's is gone)."""

    # Forum posts and café messages: kept as "a former member" (True) or deleted (False), as the member chose.
    keep_writing: bool
    # What the audit log calls them from now on.
    pseudonym: str
    # The admin carrying out a request made by email, or None when the member erases their own account.
    admin: Any = None
    # The admin's note of the request ("Emailed on 3 November, identity checked by phone").
    reason: str = ""


class ErasureBlocked(Refusal):
    """Something outside our database (Stripe) could not be done: nothing has been erased."""


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
    # What erasing an account must do for this part beyond its columns' ON DELETE rules, called before they are
    # applied, in the erasure's one transaction (no commit). May raise ErasureBlocked.
    erase: Callable[[Any, Erasure], None] | None = None
    # What `flask privacy purge` (daily, from cron) removes for this part once its time is up; commits, and
    # returns a sentence for the log ("Removed 3 expired log-in sessions.").
    purge: Callable[[], str] | None = None


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
