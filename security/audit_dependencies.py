"""Run pip-audit over .venv against a vendored snapshot of known advisories, because CI cannot reach a live one.

pip-audit asks an online vulnerability service about every installed package. From this project's machines (and so
from CI) neither of its services answers: the package index's per-version JSON pages are not served, and the OSV
service's host does not resolve. So `security/advisories.json` holds a snapshot: every OSV record of the PyPA
advisory database (pypa/advisory-database; many of its records are imported from GitHub's advisory database) for
each package we install, taken at the commit and date written at its top. It is only as fresh as that date:
an advisory published later is not in it until someone refreshes it (README, "Security checks").

    .venv/bin/python security/audit_dependencies.py
        Serves the snapshot on a loopback port in the OSV API's shape (POST /v1/query) and runs the real pip-audit
        against it (`-s osv --osv-url ...`) over every package installed in this interpreter's environment:
        runtime, test tools and everything they pull in. Exit 1 on a known advisory, or on an installed package
        the snapshot does not cover (a new dependency: refresh the snapshot so it is really checked).

    .venv/bin/python security/audit_dependencies.py refresh REPOSITORY
    .venv/bin/python security/audit_dependencies.py refresh FOLDER --commit SHA --date YYYY-MM-DD
        Rebuilds the snapshot from a copy of the advisory database, for every package installed here plus those
        already covered: a git repository of it (bare or not; its HEAD's commit and date are recorded), or a
        plain folder holding its vulns/ (then say which commit and date it is). Needs PyYAML (comes with bandit).
"""

import argparse
import io
import json
import os
import re
import shutil
import subprocess  # runs pip-audit and git with argument lists, never a shell  # nosec B404
import sys
import tarfile
import tempfile
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path

from packaging.version import InvalidVersion, Version

SNAPSHOT = Path(__file__).with_name("advisories.json")
# Advisories we have read and accepted, each with the reason; pip-audit is told to skip exactly these ids.
IGNORED: dict[str, str] = {}


def canonical(name: str) -> str:
    """PEP 503's normalised name, the form pip-audit asks about ("Flask_Login" -> "flask-login")."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(version: Version, events: list[dict]) -> bool:
    # OSV's own algorithm for an ECOSYSTEM range: walk its events in version order.
    def order(event: dict) -> Version:
        value = next(iter(event.values()))
        return Version("0") if value == "0" else (_version(value) or Version("0"))

    affected = False
    for event in sorted(events, key=order):
        if "introduced" in event:
            start = _version(event["introduced"])
            if event["introduced"] == "0" or (start is not None and version >= start):
                affected = True
        elif "fixed" in event:
            fixed = _version(event["fixed"])
            if fixed is not None and version >= fixed:
                affected = False
        elif "last_affected" in event:
            last = _version(event["last_affected"])
            if last is not None and version > last:
                affected = False
    return affected


def affects(record: dict, name: str, version_text: str) -> bool:
    """Whether an OSV record says this version of this package is affected (its version list or its ranges)."""
    version = _version(version_text)
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonical(package.get("name", "")) != name:
            continue
        if version_text in affected.get("versions", []):
            return True
        if version is None:
            continue
        for each in affected.get("ranges", []):
            if each.get("type") == "ECOSYSTEM" and _in_range(version, each.get("events", [])):
                return True
    return False


def serve(snapshot: dict, asked: set[str], asked_uncovered: set[str]) -> ThreadingHTTPServer:
    """An OSV-shaped /v1/query endpoint on a free loopback port, answering from the snapshot."""
    packages = snapshot["packages"]

    class Query(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            name = canonical(body.get("package", {}).get("name", ""))
            version = str(body.get("version", ""))
            asked.add(name)
            if name not in packages:
                asked_uncovered.add(f"{name} {version}")
            found = [record for record in packages.get(name, []) if affects(record, name, version)]
            answer = json.dumps({"vulns": found} if found else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args) -> None:
            pass  # pip-audit's own report is the output

    server = ThreadingHTTPServer(("127.0.0.1", 0), Query)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def audit(snapshot_path: Path) -> int:
    snapshot = json.loads(snapshot_path.read_text(encoding="utf-8"))
    print(f"pip-audit against the advisory snapshot of {snapshot['snapshot_date']} "
          f"({snapshot['source']} at {snapshot['commit'][:12]}): advisories published since then are not checked.",
          flush=True)
    asked: set[str] = set()
    asked_uncovered: set[str] = set()
    server = serve(snapshot, asked, asked_uncovered)
    try:
        with tempfile.TemporaryDirectory() as cache:
            command = [sys.executable, "-m", "pip_audit", "--strict", "--progress-spinner", "off",
                       "--vulnerability-service", "osv", "--timeout", "10", "--cache-dir", cache,
                       "--osv-url", f"http://127.0.0.1:{server.server_port}/v1/query"]
            for advisory in IGNORED:
                command += ["--ignore-vuln", advisory]
            # Loopback only: no proxy may stand between pip-audit and the snapshot.
            env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
            # Our own interpreter running pip-audit with fixed arguments: no shell, nothing from outside.
            result = subprocess.run(command, env=env, check=False)  # noqa: S603  # nosec B603
    finally:
        server.shutdown()
        server.server_close()
    if asked_uncovered:
        print("These installed packages are not in the advisory snapshot, so nothing was checked for them:\n  "
              + "\n  ".join(sorted(asked_uncovered))
              + "\nRefresh the snapshot (README, \"Security checks\") or uninstall them.", file=sys.stderr)
        return 1
    if not asked:
        print("pip-audit asked about no package at all: nothing was checked.", file=sys.stderr)
        return 1
    print(f"{len(asked)} installed packages checked against the snapshot.")
    return result.returncode


def _rfc3339(value) -> str:
    # YAML reads most timestamps as datetimes; pip-audit wants "2024-01-31T12:00:00Z".
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return ""
    if not isinstance(value, datetime):
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _trimmed(record: dict, name: str) -> dict:
    # Only what pip-audit reads and a person needs to look the advisory up; the full text stays upstream.
    summary = record.get("summary") or (record.get("details") or "").strip().split("\n")[0][:300]
    affected = []
    for entry in record.get("affected", []):
        package = entry.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonical(package.get("name", "")) != name:
            continue
        kept = {"package": {"ecosystem": "PyPI", "name": name}}
        ranges = [each for each in entry.get("ranges", []) if each.get("type") == "ECOSYSTEM"]
        if ranges:
            kept["ranges"] = ranges
        if entry.get("versions"):
            kept["versions"] = [str(version) for version in entry["versions"]]
        affected.append(kept)
    return {key: value for key, value in {
        "id": record["id"], "aliases": record.get("aliases") or [], "summary": summary,
        "published": _rfc3339(record.get("published")), "affected": affected}.items() if value}


def _write(snapshot: dict, path: Path) -> None:
    # One advisory per line, so a refresh's diff shows which advisories came, went or changed.
    lines = ["{"]
    for key in ("about", "source", "commit", "snapshot_date"):
        lines.append(f"  {json.dumps(key)}: {json.dumps(snapshot[key])},")
    lines.append('  "packages": {')
    names = list(snapshot["packages"])
    for index, name in enumerate(names):
        records = snapshot["packages"][name]
        comma = "," if index < len(names) - 1 else ""
        if not records:
            lines.append(f"    {json.dumps(name)}: []{comma}")
            continue
        lines.append(f"    {json.dumps(name)}: [")
        lines += [f"      {json.dumps(record, ensure_ascii=False)}{',' if n < len(records) - 1 else ''}"
                  for n, record in enumerate(records)]
        lines.append(f"    ]{comma}")
    lines += ["  }", "}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def refresh(database: Path, commit: str, date: str, snapshot_path: Path) -> int:
    import yaml  # only the refresh reads the database's YAML; PyYAML comes with bandit

    wanted = {canonical(dist.metadata["Name"]) for dist in metadata.distributions()}
    if snapshot_path.exists():
        wanted |= set(json.loads(snapshot_path.read_text(encoding="utf-8"))["packages"])
    packages: dict[str, list[dict]] = {name: [] for name in sorted(wanted)}
    folders = [folder for folder in (database / "vulns").iterdir() if canonical(folder.name) in wanted]
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            record = yaml.safe_load(path.read_text(encoding="utf-8"))
            if record.get("withdrawn"):
                continue
            for name in {canonical(entry["package"]["name"]) for entry in record.get("affected", [])} & wanted:
                packages[name].append(_trimmed(record, name))
    for records in packages.values():
        records.sort(key=lambda record: record["id"])
    snapshot = {
        "about": "Known advisories for the packages this project installs, for security/audit_dependencies.py. "
                 "A snapshot: advisories published after snapshot_date are not in it.",
        "source": "the PyPA advisory database (pypa/advisory-database), read from the mirror "
                  "westonsteimel/advisory-database-pypa",
        "commit": commit,
        "snapshot_date": date,
        "packages": packages,
    }
    _write(snapshot, snapshot_path)
    count = sum(len(records) for records in packages.values())
    print(f"{snapshot_path}: {count} advisories for {len(packages)} packages, as of {date}.")
    return 0


def _git(repository: Path, *arguments: str) -> bytes:
    git = shutil.which("git")
    if git is None:
        raise SystemExit("git is not installed: give a folder holding vulns/, with --commit and --date.")
    command = [git, "-C", str(repository), *arguments]
    # Fixed git subcommands on a path the person running the refresh gave: no shell.
    return subprocess.run(command, capture_output=True, check=True).stdout  # noqa: S603  # nosec B603


def _refresh_from(database: Path, commit: str | None, date: str | None, snapshot_path: Path) -> int:
    if (database / "vulns").is_dir():
        if not (commit and date):
            raise SystemExit("A plain folder: say which commit of the database it is, with --commit and --date.")
        return refresh(database, commit, date, snapshot_path)
    commit, date = _git(database, "show", "-s", "--format=%H %cs", "HEAD").decode().split()
    with tempfile.TemporaryDirectory() as folder:
        archive = _git(database, "archive", "--format=tar", "HEAD", "vulns")
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        return refresh(Path(folder), commit, date, snapshot_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    commands = parser.add_subparsers(dest="command")
    rebuild = commands.add_parser("refresh", help="rebuild the snapshot from a copy of the advisory database")
    rebuild.add_argument("database", type=Path, help="a git repository of the database, or a folder with its vulns/")
    rebuild.add_argument("--commit", help="for a plain folder: the database commit it was taken at")
    rebuild.add_argument("--date", help="for a plain folder: that commit's date, YYYY-MM-DD")
    args = parser.parse_args(argv)
    if args.command == "refresh":
        return _refresh_from(args.database, args.commit, args.date, args.snapshot)
    return audit(args.snapshot)


if __name__ == "__main__":
    sys.exit(main())
