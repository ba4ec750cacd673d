"""A member's data export: every registered part, gathered into one JSON-ready document, and the limit on how
often it is made (an export reads everything a member ever wrote)."""

from datetime import datetime

from community.accounts.models import User
from community.action_limits import ActionLimit
from community.extensions import utcnow

from . import registry

EXPORT_LIMIT = ActionLimit("data-export", "10 per hour;30 per day")
ABOUT = ("Everything Target CSF Leaks holds about you on this site, made when you asked for it. Keep it somewhere "
         "safe: it holds health information.")


def export_member(user: User, now: datetime | None = None) -> dict:
    """The whole export: when it was made, for whom, and each part under its key, in the order features registered
    them."""
    return {
        "about": ABOUT,
        "exported_at": (now or utcnow()).isoformat(),
        "account_email": user.email,
        "sections": {part.key: {"title": part.title, "why": part.why, "data": part.export(user)}
                     for part in registry.parts()},
    }

