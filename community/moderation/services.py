"""Recording moderator and admin actions. Callers add the entry inside their own transaction."""

from community.extensions import db

from .models import AuditEntry


def record_action(actor, action: str, target_type: str, target_id: int, *, detail: str = "",
                  reason: str = "") -> AuditEntry:
    """Add an audit entry to the session; it is committed with the change it describes."""
    entry = AuditEntry(actor_id=actor.id if actor else None, action=action, target_type=target_type,
                       target_id=target_id, detail=detail, reason=reason)
    db.session.add(entry)
    return entry


def review_new_content(kind: str, author, text: str) -> str:
    """The one seam every feature calls when content is written or edited: "visible" (goes up at once) or
    "pending" (held for a moderator). The moderation issue fills this in (a newcomer's first posts, watched
    words); until then everything goes up."""
    return "visible"
