"""The charity's settings (name, registered number, address, email): checked, stored, audited, and kept in a small
per-process cache so the footer of every page can show them without a query of its own."""

import logging
import re
import time
from dataclasses import dataclass
from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from community.extensions import db
from community.moderation.services import record_action
from community.process_cache import READ_WAIT_SECONDS
from community.refusals import Refusal

from .models import SiteSetting

log = logging.getLogger(__name__)

DEFAULT_CHARITY_NAME = "Target CSF Leaks"
# Seconds a process trusts its copy of the settings; a save in the same process clears it at once, other processes
# see the change within this time. Overridden by the SITE_SETTINGS_CACHE_SECONDS config value.
CACHE_SECONDS = 60
# After a failed read (say the database is restarting), try again this soon: the crisis page must still render.
RETRY_SECONDS = 5
_CACHE_KEY = "community.charity_settings"


class SettingError(Refusal):
    """A setting value we refuse; `field` is the setting's key."""


@dataclass(frozen=True)
class SettingRule:
    label: str
    max_length: int
    required: bool
    hint: str


SETTINGS: dict[str, SettingRule] = {
    "charity_name": SettingRule("Charity name", 120, True, "The name shown across the site."),
    "charity_number": SettingRule("Registered charity number", 8, False,
                                  "Digits only, as on the Charity Commission register, like 1234567."),
    "charity_address": SettingRule("Postal address", 300, False,
                                   "Shown on one line, like 1 High Street, Leeds, LS1 1AA. New lines become commas."),
    "charity_email": SettingRule("Email address", 254, True,
                                 "Contact form messages go here, and it is shown on the site."),
}


@dataclass(frozen=True)
class Charity:
    """What templates show about the charity. Empty `number` or `address`: not set yet, so show nothing."""

    name: str
    number: str
    address: str
    email: str


def default_value(key: str) -> str:
    if key == "charity_name":
        return DEFAULT_CHARITY_NAME
    if key == "charity_email":
        return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return ""


def clean_value(key: str, value: str) -> str:
    """The value as it will be stored, or a SettingError saying kindly what is wrong with it."""
    rule = SETTINGS.get(key)
    if rule is None:
        raise SettingError(f"There is no setting called {key}. The settings are: {', '.join(SETTINGS)}.")
    # One line each: a newline in an address becomes a comma, and runs of spaces shrink to one.
    parts = [" ".join(part.split()) for part in (value or "").replace("\r", "\n").split("\n")]
    value = ", ".join(part for part in parts if part)
    if key == "charity_number":
        value = re.sub(r"[\s-]", "", value)
        if value and not re.fullmatch(r"[0-9]{6,8}", value):
            raise SettingError("Enter the registered charity number as digits only, like 1234567.", key)
    if rule.required and not value:
        raise SettingError(f"Enter the {rule.label.lower()}.", key)
    if len(value) > rule.max_length:
        raise SettingError(f"The {rule.label.lower()} can have at most {rule.max_length} characters.", key)
    if key == "charity_email":
        try:
            value = validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            raise SettingError("Enter an email address in the right format, like name@example.com.", key) from None
    return value


def current_values() -> dict[str, str]:
    """Every setting's value now: the stored one, or its default."""
    stored = dict(db.session.execute(select(SiteSetting.key, SiteSetting.value)).all())
    return {key: stored.get(key) or default_value(key) for key in SETTINGS}


def stored_keys() -> set[str]:
    """The settings that have been set (the others show their defaults)."""
    return set(db.session.scalars(select(SiteSetting.key).where(SiteSetting.value != "")))


def update_settings(actor, values: dict[str, str], reason: str = "") -> list[str]:
    """Check every value first, then store the ones that changed, one audit entry each, in one transaction.
    Returns the keys that changed. `actor` is None for the command line."""
    cleaned = {key: clean_value(key, value) for key, value in values.items()}
    before = current_values()
    rows = {row.key: row for row in db.session.scalars(select(SiteSetting).where(SiteSetting.key.in_(cleaned)))}
    changed = []
    for key, value in cleaned.items():
        if value == before[key]:
            continue
        row = rows.get(key)
        if row is None:
            row = SiteSetting(key=key)
            db.session.add(row)
        row.value = value
        db.session.flush()
        record_action(actor, "settings.changed", "site_setting", row.id,
                      detail=f"{key}: {before[key]!r} → {value!r}", reason=reason)
        changed.append(key)
    db.session.commit()
    if changed:
        clear_cache()
    return changed


# The cache ---------------------------------------------------------------------------------------------------

@dataclass
class _Cached:
    charity: Charity
    expires: float
    # When a request began reading the details again: the others go on with this copy meanwhile, however old it
    # is (the charity's address a moment late harms nobody), rather than all asking the database at once.
    refreshing_since: float | None = None


def clear_cache() -> None:
    """Forget this process's copy; the next `charity()` reads the database again."""
    current_app.extensions.pop(_CACHE_KEY, None)


def charity() -> Charity:
    """The charity's details for templates (the `charity()` global): read at most once a minute per process."""
    app = current_app._get_current_object()
    cached = app.extensions.get(_CACHE_KEY)
    now = time.monotonic()
    lifetime = app.config.get("SITE_SETTINGS_CACHE_SECONDS", CACHE_SECONDS)
    if cached is not None:
        if now < cached.expires or (cached.refreshing_since is not None
                                    and now - cached.refreshing_since < READ_WAIT_SECONDS):
            return cached.charity
        cached.refreshing_since = now
    try:
        # On the page's own connection, in a savepoint, so a failure here undoes only the savepoint. Never on a
        # second connection: when the copy ran out under load, every request in flight asked for one while holding
        # its own, and together they could hold the whole pool and wait on each other (bench/README.md).
        with db.session.begin_nested():
            stored = dict(db.session.execute(select(SiteSetting.key, SiteSetting.value)).all())
    except SQLAlchemyError:
        log.warning("Could not read the charity settings; showing the last known ones", exc_info=True)
        fallback = cached.charity if cached is not None else _charity_from({})
        app.extensions[_CACHE_KEY] = _Cached(fallback, now + RETRY_SECONDS)
        return fallback
    value = _charity_from(stored)
    app.extensions[_CACHE_KEY] = _Cached(value, now + lifetime)
    return value


def _charity_from(stored: dict[str, str]) -> Charity:
    values = {key: stored.get(key) or default_value(key) for key in SETTINGS}
    return Charity(name=values["charity_name"], number=values["charity_number"],
                   address=values["charity_address"], email=values["charity_email"])
