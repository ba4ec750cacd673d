"""Real café servers for tests and benchmarks: `count` gunicorn processes (-k gevent -w 1) sharing one database
and a private Redis, on free loopback ports.

    from tests.cafe.processes import run_servers

    with run_servers(count=2, tmp_path=tmp_path) as servers:   # database_url=..., redis_url=..., env={...}
        servers.urls                       # ["http://127.0.0.1:41234", "http://127.0.0.1:41235"]
        with servers.app.app_context():    # an in-process app on the same database, for setting up data
            member = make_member()         # tests.factories, as usual
        servers.open_room()                # an extra café session open from an hour ago to two hours ahead
        web = servers.login(servers.urls[0], member.email)   # requests.Session logged in over HTTP
        servers.cookie_header(web)         # "session=...": for socketio.SimpleClient(headers={"Cookie": ...})
        servers.cookie_for(member.email)   # the same without HTTP (no log-in rate limit: for many members)
        servers.redis.stop(); servers.redis.start()   # a Redis outage, then Redis back on the same port

- The database is `database_url` (e.g. the test session's PostgreSQL database) or a new SQLite file in
  `tmp_path`; its schema is created (drop_all + create_all) before the servers start.
- Redis is a private `redis-server` (no persistence) started here unless `redis_url` is given; stopping it never
  disturbs other tests. Without /usr/bin/redis-server the test is skipped (failed with REQUIRE_SERVICES set).
- Every server gets the same SECRET_KEY, SOCKETIO_ASYNC_MODE=gevent and DEMO_MODE off; `env` adds or overrides
  variables. Each server's output goes to `tmp_path/server-<n>.log`; when the `with` block fails, the end of
  every log (and Redis's) is printed, so pytest shows it with the failure.
- Servers are stopped at the end (SIGTERM, then SIGKILL after a few seconds), then Redis; on Linux they also get
  SIGTERM if the test process itself dies (PR_SET_PDEATHSIG), so a killed run leaves no server behind.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
SECRET_KEY = "two-process-test-secret-key-0123456789abcdef"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 8.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM when the test process dies, even killed, so no server outlives it."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


class PrivateRedis:
    """A redis-server of our own on a free port; stop() and start() again (same port) to simulate an outage."""

    def __init__(self, directory: Path, port: int | None = None):
        self.directory = directory
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = directory / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        if not Path(REDIS_SERVER).exists():
            from tests.conftest import service_missing

            service_missing("redis-server is not installed (apt-get install redis-server)")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.directory)], stdout=log, stderr=subprocess.STDOUT, cwd=self.directory,
                preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5).ping()
                return
            except redis.RedisError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}:\n{_tail(self.log)}") \
                        from None
                time.sleep(0.05)

    def stop(self) -> None:
        _stop(self.process)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Servers:
    """What run_servers yields: the servers' URLs, the shared database and Redis, and helpers for test data."""

    urls: list[str]
    database_url: str
    redis_url: str
    redis: PrivateRedis | None
    app: object
    logs: list[Path]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def open_room(self, hours_before: float = 1, hours_after: float = 2) -> int:
        """An extra café session open now (from `hours_before` ago to `hours_after` ahead); returns its id."""
        with self.app.app_context():
            return open_session_covering_now(hours_before, hours_after)

    def make_member(self, display_name: str = "Robin", **kwargs):
        """A paid-up member in the shared database; returns (id, email). Password: tests.factories.PASSWORD."""
        from tests.factories import make_member

        with self.app.app_context():
            member = make_member(display_name=display_name, **kwargs)
            return member.id, member.email

    def login(self, url: str, email: str, password: str | None = None) -> requests.Session:
        """Log in through the real form on the server at `url` (mind its limit: 6 log-ins a minute per address)."""
        from tests.conftest import csrf_token_from
        from tests.factories import PASSWORD

        web = requests.Session()
        page = web.get(f"{url}/login", timeout=10)
        response = web.post(f"{url}/login", data={"email": email, "password": password or PASSWORD,
                                                  "csrf_token": csrf_token_from(page.text)},
                            allow_redirects=False, timeout=10)
        assert response.status_code == 302, f"log-in failed ({response.status_code}): {response.text[:500]}"
        return web

    @staticmethod
    def cookie_header(web: requests.Session) -> str:
        return "; ".join(f"{name}={value}" for name, value in web.cookies.items())

    def cookie_for(self, email: str, password: str | None = None) -> str:
        """A session cookie header for `email`, logged in through an in-process client on the same database and
        secret key (valid on every server; no log-in rate limit, so fine for hundreds of members)."""
        from tests.conftest import submit
        from tests.factories import PASSWORD

        with self.app.app_context():
            client = self.app.test_client()
            response = submit(client, "/login", {"email": email, "password": password or PASSWORD})
            assert response.status_code == 302, response.text[:500]
            cookie = client.get_cookie(self.app.config["SESSION_COOKIE_NAME"])
            return f"{cookie.key}={cookie.value}"

    def logs_text(self, lines: int = 60) -> str:
        parts = [f"--- {path.name} (last {lines} lines) ---\n{_tail(path, lines)}" for path in self.logs]
        if self.redis is not None:
            parts.append(f"--- redis.log ---\n{_tail(self.redis.log, 20)}")
        return "\n".join(parts)


def open_session_covering_now(hours_before: float = 1, hours_after: float = 2) -> int:
    """Inside an app context: an extra café session running now; returns its id."""
    from community.cafe import schedule
    from community.cafe.models import CafeSession
    from community.extensions import db, utcnow

    now = utcnow().replace(microsecond=0)
    row = CafeSession(starts_at=now - timedelta(hours=hours_before), ends_at=now + timedelta(hours=hours_after),
                      local_date=schedule.london_today(now), extra=True, note="Test session")
    db.session.add(row)
    db.session.commit()
    return row.id


def _setup_app(database_url: str, directory: Path):
    from community.extensions import db
    from community.pages.services import seed_pages
    from tests.conftest import make_test_app

    app = make_test_app(database_url, directory, SECRET_KEY=SECRET_KEY, RATELIMIT_ENABLED=False)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_pages()
        db.session.remove()
    return app


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"The server for {url} exited with code {process.returncode}:\n{_tail(log)}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"The server for {url} did not answer /healthz within {START_TIMEOUT} s:\n{_tail(log)}")
        time.sleep(0.1)


@contextmanager
def run_servers(count: int = 2, database_url: str | None = None, redis_url: str | None = None,
                tmp_path: Path | None = None, env: dict | None = None):
    """Start `count` gunicorn -k gevent -w 1 processes on one database and Redis; yield a `Servers`. See the
    module's docstring."""
    own_directory = None
    if tmp_path is None:
        own_directory = tempfile.TemporaryDirectory(prefix="cafe-servers-")
        tmp_path = Path(own_directory.name)
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{tmp_path / 'servers.db'}"
    private_redis = None
    processes: list[subprocess.Popen] = []
    servers = None
    try:
        if redis_url is None:
            private_redis = PrivateRedis(tmp_path)
            private_redis.start()
            redis_url = private_redis.url
        app = _setup_app(database_url, tmp_path)
        urls, logs = [], []
        base_env = {key: value for key, value in os.environ.items()
                    if not key.startswith(("FLASK_", "RATELIMIT", "STRIPE_", "MAIL_", "TEST_", "GUNICORN"))}
        for number in range(count):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            log = tmp_path / f"server-{number + 1}.log"
            server_env = {**base_env, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                          "SECRET_KEY": SECRET_KEY, "SOCKETIO_ASYNC_MODE": "gevent", "DEMO_MODE": "0",
                          "SITE_URL": url, "PYTHONUNBUFFERED": "1", **(env or {})}
            with open(log, "ab") as output:
                processes.append(subprocess.Popen(
                    [str(GUNICORN), "-k", "gevent", "-w", "1", "--no-control-socket", "-b", f"127.0.0.1:{port}",
                     "--graceful-timeout", "3", "--timeout", "60", "app:app"],
                    cwd=ROOT, env=server_env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
                    preexec_fn=_die_with_parent))
            urls.append(url)
            logs.append(log)
        for url, process, log in zip(urls, processes, logs, strict=True):
            _wait_until_healthy(url, process, log)
        servers = Servers(urls, database_url, redis_url, private_redis, app, logs, processes)
        yield servers
    except BaseException:
        if servers is not None:
            print(servers.logs_text(), file=sys.stderr)
        raise
    finally:
        for process in processes:
            _stop(process)
        if private_redis is not None:
            private_redis.stop()
        if servers is not None:
            from community.extensions import db

            with servers.app.app_context():
                db.session.remove()
                db.engine.dispose()
        if own_directory is not None:
            own_directory.cleanup()
