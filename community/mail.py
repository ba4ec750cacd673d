"""Sending email: through SMTP when MAIL_SERVER is set, otherwise into the log and instance/outbox/."""

import logging
import os
import re
import smtplib
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template

log = logging.getLogger(__name__)
# The standard policy, except that header values stored raw (send_email's `headers`) are never refolded.
_POLICY = policy.default.clone(refold_source="none")


def external_url(endpoint: str, **values) -> str:
    """An absolute link for emails, always on SITE_URL, whether or not a request is being handled."""
    site = urlsplit(current_app.config["SITE_URL"])
    adapter = current_app.url_map.bind(site.netloc, script_name=site.path or "/", url_scheme=site.scheme)
    return adapter.build(endpoint, values, force_external=True)


def send_email(to: str, subject: str, template: str, reason: str, *, headers: dict[str, str] | None = None,
               **context) -> bool:
    """Send one email built from templates/email/<template>.txt and .html.

    `reason` is a sentence finishing "You are getting this email because ...": every email says why it came.
    `headers` adds header lines (e.g. List-Unsubscribe); they cannot replace the ones set here.
    Returns False (and logs) when delivery fails, so a mail outage never undoes what the person just did.
    """
    context = {"subject": subject, "reason": reason, "site_url": current_app.config["SITE_URL"], **context}
    message = EmailMessage(policy=_POLICY)
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="targetcsfleaks.org.uk")
    for name, value in (headers or {}).items():
        if "\r" in value or "\n" in value or not value.isascii():
            raise ValueError(f"The {name} header must be one line of plain ASCII")
        if name not in message:
            # Kept whole, not folded: a long List-Unsubscribe link would otherwise be MIME-encoded into something
            # mail programs no longer recognise (_POLICY leaves values stored raw as they are).
            message.set_raw(name, value)
    message.set_content(render_template(f"email/{template}.txt", **context))
    message.add_alternative(render_template(f"email/{template}.html", **context), subtype="html")
    try:
        if current_app.config["MAIL_SERVER"]:
            _send_smtp(message)
        else:
            _write_to_outbox(message, template)
    except (OSError, smtplib.SMTPException):
        log.exception("Could not send the %r email to %s", template, to)
        return False
    return True


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def _write_to_outbox(message: EmailMessage, template: str) -> None:
    """Development delivery: one .eml file per email, so a newcomer can open a verification link."""
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    # The emails hold log-in and reset links: only the app's own user may read them.
    outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    if outbox.stat().st_mode & 0o077:
        outbox.chmod(0o700)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    recipient = re.sub(r"[^a-z0-9]+", "-", message["To"].lower())
    path = outbox / f"{stamp}-{template}-{recipient}.eml"
    _write_owner_only(path, message.as_bytes())
    text = message.get_body(preferencelist=("plain",)).get_content()
    # The .eml wraps long lines (quoted-printable); the .txt keeps links whole for someone reading the file.
    _write_owner_only(path.with_suffix(".txt"),
                      f"To: {message['To']}\nSubject: {message['Subject']}\n\n{text}".encode())
    log.warning("Email not sent (no MAIL_SERVER); written to %s\nTo: %s\nSubject: %s\n\n%s",
                path, message["To"], message["Subject"], text)


def _write_owner_only(path: Path, content: bytes) -> None:
    """A new file, mode 0600 from its creation (never chmod afterwards: others could read it in between)."""
    with os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "wb") as file:
        file.write(content)
