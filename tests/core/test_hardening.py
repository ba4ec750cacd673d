"""Safety nets: no demo mode on a live site, owner-only files in instance/, log-in survives a Redis outage."""

import json
import os
import stat
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask

from community import create_app
from community.config import ConfigError, load_config
from community.mail import _write_to_outbox

ROOT = Path(__file__).resolve().parents[2]
LONG_SECRET = "a-production-secret-that-is-long-enough-0123456789"


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


@pytest.fixture
def usual_umask():
    """Most systems create files readable by everyone (umask 022): the app must not rely on a stricter one."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def no_chmod(monkeypatch):
    """Modes must be right when a file is created, not patched afterwards (a crash in between leaks it)."""
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)
    monkeypatch.setattr(Path, "chmod", lambda *args, **kwargs: None)


# Demo mode ---------------------------------------------------------------------------------------------------

def test_demo_mode_refuses_to_start_on_an_https_site(tmp_path):
    with pytest.raises(ConfigError, match="DEMO_MODE"):
        load_config(str(tmp_path), {"SITE_URL": "https://community.example.org", "SECRET_KEY": LONG_SECRET,
                                    "DEMO_MODE": "1"})
    # Off, or on a developer's http address, it starts as before.
    assert not load_config(str(tmp_path), {"SITE_URL": "https://community.example.org",
                                           "SECRET_KEY": LONG_SECRET, "DEMO_MODE": "0"})["DEMO_MODE"]
    assert load_config(str(tmp_path), {"DEMO_MODE": "1"})["DEMO_MODE"]


# Owner-only files ----------------------------------------------------------------------------------------------

def test_development_secret_key_is_owner_only_from_the_moment_it_exists(tmp_path, usual_umask, no_chmod):
    instance = tmp_path / "instance"
    load_config(str(instance), {})
    assert mode(instance / "dev-secret-key") == "0o600"
    assert mode(instance) == "0o700"


def test_outbox_folder_and_emails_are_owner_only_when_written(app, usual_umask, no_chmod):
    message = EmailMessage()
    message["To"] = "someone@example.org"
    message["Subject"] = "Confirm your email address"
    message.set_content("https://example.org/verify/secret-token")
    _write_to_outbox(message, "verify_email")
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    assert mode(outbox) == "0o700"
    written = sorted(outbox.iterdir())
    assert [path.suffix for path in written] == [".eml", ".txt"]
    assert [mode(path) for path in written] == ["0o600", "0o600"]


def test_an_existing_outbox_left_open_is_closed_again(app, usual_umask):
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(mode=0o755)
    message = EmailMessage()
    message["To"] = "someone@example.org"
    message["Subject"] = "Hello"
    message.set_content("Hello")
    _write_to_outbox(message, "verify_email")
    assert mode(outbox) == "0o700"


def test_app_keeps_its_instance_folder_and_sqlite_database_owner_only(tmp_path, usual_umask, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    # Left open by an older version: both are tightened when the app starts.
    instance.mkdir(mode=0o755)
    database = instance / "community.db"
    database.touch(mode=0o644)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    assert app.instance_path == str(instance)
    assert mode(instance) == "0o700"
    assert mode(database) == "0o600"
    assert mode(instance / "dev-secret-key") == "0o600"


def test_app_creates_its_instance_folder_owner_only(tmp_path, usual_umask, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    create_app({"TESTING": True, "SECRET_KEY": LONG_SECRET,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'elsewhere.db'}"})
    assert mode(instance) == "0o700"


# Redis outage ----------------------------------------------------------------------------------------------------

# Runs in its own Python process, because the limiter is one global object whose state outlives an app: settings
# exactly as load_config gives them for a Redis that is down, then log-in attempts from one address.
REDIS_DOWN = """
import json, logging, pathlib, sys
from community.config import load_config
from community.extensions import db
from tests import factories
from tests.conftest import make_test_app, submit

tmp = pathlib.Path(sys.argv[1])
closed_port = "redis://127.0.0.1:1/0"
settings = load_config(str(tmp), {"REDIS_URL": closed_port})
passed = {key: value for key, value in settings.items() if key.startswith("RATELIMIT_") or key == "REDIS_URL"}
assert passed["RATELIMIT_STORAGE_URI"] == closed_port
app = make_test_app(f"sqlite:///{tmp}/app.db", tmp, **passed)
warnings = []
handler = logging.Handler(logging.WARNING)
handler.emit = lambda record: warnings.append(record.getMessage())
logging.getLogger().addHandler(handler)
with app.app_context():
    db.create_all()
    user = factories.make_user("kai@example.org")
first, second = app.test_client(), app.test_client()
codes = [submit(first, "/login", {"email": "kai@example.org", "password": factories.PASSWORD}).status_code]
codes += [submit(second, "/login", {"email": "kai@example.org", "password": "guess"}).status_code
          for _ in range(6)]
print(json.dumps({"codes": codes, "warnings": warnings}))
"""


def test_log_in_works_when_redis_is_down_with_limits_kept_in_memory(tmp_path):
    result = subprocess.run([sys.executable, "-c", REDIS_DOWN, str(tmp_path)], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    # Right password logs in; wrong ones show the form again; the 7th attempt from one address is refused.
    assert outcome["codes"] == [302, 200, 200, 200, 200, 200, 429]
    assert any("falling back to in-memory" in warning for warning in outcome["warnings"]), outcome["warnings"]


def test_an_impossibly_large_id_in_an_address_is_a_404_not_a_500(client, as_role):
    from tests.conftest import submit

    as_role("admin")
    assert client.get("/admin/members/99999999999999999999999").status_code == 404
    assert client.get("/admin/members/0").status_code == 404
    response = submit(client, "/account/sessions/99999999999999999999999/end", {}, page="/account/sessions")
    assert response.status_code == 404
