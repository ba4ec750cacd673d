"""The kinds of content moderation looks after. Each feature registers its own (forum posts, stories, chat
messages) when the app starts, saying how to show one in the queue and what hiding, restoring, approving, editing
and deleting one means; moderation itself knows no feature. Members are a kind moderation owns (services.py).

Every callable works inside the caller's transaction and never commits: moderation commits once, with the audit
entry, so an action and its record land together or not at all."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Content:
    """One piece of content as a moderator sees it in the queue."""

    kind: str
    id: int
    author_id: int | None
    # A short heading: "Reply in “Blood patch questions”".
    title: str
    # The words, already rendered and sanitised by the feature (never raw user HTML).
    html: str
    # The text as typed, for a moderator's edit.
    text: str
    # Where it lives, for moderators ("Forums › Treatments"), and its address, if it has one.
    context: str
    url: str | None
    # "visible", "pending", "hidden" or "deleted" (the feature's words for its states map onto these).
    state: str
    created_at: datetime
    hidden_reason: str = ""


@dataclass(frozen=True)
class ContentKind:
    name: str
    # "Forum post": shown in the queue and the dashboard's counts.
    label: str
    # Look pieces up by id, in one query for the whole page of the queue. Missing ids are left out.
    load_many: Callable[[Iterable[int]], dict[int, Content]]
    # May this person see this piece (so may flag it)? Answers False for anything they could not open.
    can_see: Callable[[object, int], bool]
    hide: Callable[[int, object | None, str], None]
    restore: Callable[[int, object], None]
    delete: Callable[[int, object], None]
    # Held content: publish it. Returns False when it can no longer be published (its author deleted it).
    approve: Callable[[int, object], bool] | None = None
    # Decline held content: it stays unseen by others and the author sees the reason.
    decline: Callable[[int, object, str], None] | None = None
    # Held content: send it back to its author with a note of what to change (a story naming a hospital). It stays
    # unseen by others until the author changes it and it is approved.
    request_changes: Callable[[int, object, str], None] | None = None
    edit: Callable[[int, object, str], None] | None = None
    # Run after the commit of an approval or restore (notifications for the newly visible content).
    after_published: Callable[[int], None] | None = None
    # How many of this author's pieces others can see: a newcomer's first ones are held (services.py).
    published_count: Callable[[int], int] | None = None

    def load(self, target_id: int) -> Content | None:
        return self.load_many([target_id]).get(target_id)


_kinds: dict[str, ContentKind] = {}


def register(kind: ContentKind) -> None:
    """Called by a feature when the app starts. Registering a kind again replaces it (one app per test)."""
    _kinds[kind.name] = kind


def get(name: str) -> ContentKind | None:
    return _kinds.get(name)


def all_kinds() -> list[ContentKind]:
    return list(_kinds.values())
