"""The dependency audit (`make audit`): pip-audit against the vendored advisory snapshot really fails on a known
advisory, and on a package the snapshot does not cover, instead of passing silently."""

import importlib.util
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "security" / "audit_dependencies.py"
SNAPSHOT = ROOT / "security" / "advisories.json"


def _module():
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_audit(snapshot: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "advisories.json"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    return subprocess.run([sys.executable, str(SCRIPT), "--snapshot", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_known_advisory_for_an_installed_version_fails_the_audit(tmp_path):
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    installed = metadata.version("flask")
    snapshot["packages"]["flask"] = [*snapshot["packages"]["flask"], {
        "id": "FAKE-2026-0001", "summary": "A made-up advisory that must fail the audit",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9999"}]}]}],
    }]
    result = _run_audit(snapshot, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    report = next(line for line in result.stdout.splitlines() if "FAKE-2026-0001" in line)
    assert report.split()[:2] == ["flask", installed]
    assert "9999" in report  # pip-audit reads the fix version from the snapshot
    assert snapshot["snapshot_date"] in result.stdout  # the run says how old its advisories are


def test_an_installed_package_missing_from_the_snapshot_fails_the_audit(tmp_path):
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    del snapshot["packages"]["flask"]
    result = _run_audit(snapshot, tmp_path)
    assert result.returncode == 1
    assert f"flask {metadata.version('flask')}" in result.stderr
    assert "Refresh the snapshot" in result.stderr


@pytest.mark.parametrize(("events", "versions", "version", "affected"), [
    ([{"introduced": "0"}, {"fixed": "3.1.3"}], [], "3.1.2", True),
    ([{"introduced": "0"}, {"fixed": "3.1.3"}], [], "3.1.3", False),
    ([{"introduced": "2.0"}, {"fixed": "2.2.5"}, {"introduced": "2.3.0"}, {"fixed": "2.3.2"}], [], "2.2.9", False),
    ([{"introduced": "2.0"}, {"fixed": "2.2.5"}, {"introduced": "2.3.0"}, {"fixed": "2.3.2"}], [], "2.3.1", True),
    ([{"introduced": "1.0"}], [], "0.9", False),
    ([{"introduced": "1.0"}], [], "26.0", True),  # no fix yet: every later version
    ([{"introduced": "0"}, {"last_affected": "4.0.0"}], [], "4.0.0", True),
    ([{"introduced": "0"}, {"last_affected": "4.0.0"}], [], "4.0.1", False),
    ([], ["1.2.3"], "1.2.3", True),  # malicious releases are listed by version only
    ([], ["1.2.3"], "1.2.4", False),
])
def test_osv_version_matching(events, versions, version, affected):
    entry = {"package": {"ecosystem": "PyPI", "name": "Some_Package"}, "versions": versions}
    if events:
        entry["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    assert _module().affects({"id": "X", "affected": [entry]}, "some-package", version) is affected


def test_an_advisory_for_another_package_or_ecosystem_never_matches():
    record = {"id": "X", "affected": [
        {"package": {"ecosystem": "PyPI", "name": "flask-login"}, "versions": ["3.1.3"]},
        {"package": {"ecosystem": "npm", "name": "flask"}, "versions": ["3.1.3"]},
    ]}
    assert not _module().affects(record, "flask", "3.1.3")
