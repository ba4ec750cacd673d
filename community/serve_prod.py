"""`make serve-prod`: the production layout on this machine, so it is tried and not just written. Runs every
`web*` line of the Procfile (one gunicorn process per port, each reading gunicorn.conf.py) on PostgreSQL and
Redis, after creating the database if it is missing, upgrading it and loading the demo data; Ctrl-C stops them all.

    .venv/bin/python -m community.serve_prod          # DATABASE_URL, REDIS_URL: see DEFAULTS

It imports nothing of the app (gevent must patch each server before the app is imported), and tests use its
functions to start the same layout (tests/browser/test_two_processes.py)."""

import os
import shlex
import signal
import subprocess  # only to run flask and gunicorn, with argument lists and never a shell  # nosec B404
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROCFILE = ROOT / "Procfile"
BIN = Path(sys.executable).parent
DEFAULTS = {
    "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/community_prod_local",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "FLASK_APP": "app.py",
}
START_TIMEOUT = 30.0
# Longer than gunicorn.conf.py's graceful_timeout, which a request in flight may take.
STOP_TIMEOUT = 25.0


def web_processes(procfile: Path = PROCFILE) -> list[tuple[str, dict, list[str]]]:
    """The Procfile's `web*` lines as (name, environment variables, command), e.g.
    ("web1", {"PORT": "8001"}, [".venv/bin/gunicorn", "app:app"])."""
    processes = []
    for line in procfile.read_text().splitlines():
        name, _, command = line.partition(":")
        if line.startswith("#") or not name.startswith("web") or not command.strip():
            continue
        words = shlex.split(command)
        variables = {}
        while words and "=" in words[0]:
            key, _, value = words.pop(0).partition("=")
            variables[key] = value
        if (BIN / words[0]).exists():  # this virtualenv's gunicorn, whether or not it is on PATH
            words[0] = str(BIN / words[0])
        processes.append((name.strip(), variables, words))
    return processes


def environment(overrides: dict | None = None) -> dict:
    """The servers' environment: this one, the defaults for what it lacks, then `overrides`."""
    env = {**os.environ}
    for key, value in DEFAULTS.items():
        env.setdefault(key, value)
    return {**env, **(overrides or {})}


def create_database_if_missing(database_url: str) -> None:
    """Create the PostgreSQL database named in the URL when the server has none by that name (SQLite: nothing)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                       {"name": url.database})
            if not exists:
                quoted = url.database.replace('"', '""')
                connection.execute(text(f'CREATE DATABASE "{quoted}"'))
    finally:
        engine.dispose()


def prepare_database(env: dict) -> None:
    """Create the database if needed, bring its schema up to date and load the demo data (both safe to repeat)."""
    create_database_if_missing(env["DATABASE_URL"])
    flask = str(BIN / "flask")
    subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True)  # noqa: S603  # nosec B603
    seed_env = {**env, "DEMO_MODE": "1"}
    subprocess.run([flask, "demo", "seed"], cwd=ROOT, env=seed_env, check=True)  # noqa: S603  # nosec B603


def _die_with_parent() -> None:
    """In each server before exec (Linux): SIGTERM when this process dies, even killed, so none is left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_servers(env: dict, ports: list[int] | None = None, log_dir: Path | None = None) -> list[tuple]:
    """Start the Procfile's web processes (on `ports` instead of the Procfile's, if given); returns
    [(url, process)] once every one answers /healthz. Output goes to log_dir/<name>.log, or to this terminal."""
    lines = web_processes()
    if ports is not None:
        lines = [(name, {**variables, "PORT": str(port)}, command)
                 for (name, variables, command), port in zip(lines, ports, strict=True)]
    started = []
    try:
        for name, variables, command in lines:
            url = f"http://127.0.0.1:{variables['PORT']}"
            output = open(log_dir / f"{name}.log", "ab") if log_dir else None  # noqa: SIM115 - closed below
            try:
                # Their own session: Ctrl-C reaches only this runner, which stops them in order. Email links name
                # the process itself, unless SITE_URL says otherwise.
                process = subprocess.Popen(  # noqa: S603 - the Procfile's command, as a list  # nosec B603
                    command, cwd=ROOT, env={"SITE_URL": url, **env, **variables}, stdout=output,
                    stderr=subprocess.STDOUT if output else None, start_new_session=True,
                    preexec_fn=_die_with_parent)
            finally:
                if output:
                    output.close()
            started.append((url, process))
        for url, process in started:
            wait_until_answering(url, process)
    except BaseException:
        stop_servers(started)
        raise
    return started


def wait_until_answering(url: str, process: subprocess.Popen) -> None:
    """Return once `url`/healthz answers 200; raise if the process exits first or START_TIMEOUT passes."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"The server for {url} exited with code {process.returncode}")
        try:
            health = f"{url}/healthz"  # our own http:// address
            with urllib.request.urlopen(health, timeout=2) as answer:  # noqa: S310  # nosec B310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"The server for {url} did not answer /healthz within {START_TIMEOUT:.0f} s")
        time.sleep(0.2)


def stop_servers(started: list[tuple]) -> None:
    """SIGTERM to each (gunicorn's graceful stop), then SIGKILL to any still running after STOP_TIMEOUT."""
    for _url, process in started:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for _url, process in started:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as error:
        sys.exit(f"Redis does not answer at REDIS_URL={url} ({error}). Start it, or set REDIS_URL.")


def main() -> None:
    env = environment()
    _check_redis(env["REDIS_URL"])
    prepare_database(env)
    # Ctrl-C even when started in the background (where SIGINT comes ignored), and SIGTERM from a process
    # manager, stop the servers the same way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    started = start_servers(env)
    try:
        print("Serving the production layout (the demo accounts are above; Ctrl-C stops):")
        for url, process in started:
            print(f"  {url}  (gunicorn pid {process.pid})", flush=True)
        while all(process.poll() is None for _url, process in started):
            time.sleep(0.5)
        print("A server stopped on its own: stopping the others.", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        stop_servers(started)


if __name__ == "__main__":
    main()
