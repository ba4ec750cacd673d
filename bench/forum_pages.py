"""Benchmark: requests a second for a 50-post thread's page (and a search) against a bare "hello" route of the
same app, in the same run, served as production serves it.

Run by hand:  .venv/bin/python bench/forum_pages.py
              DURATION=20 CLIENTS=8 ROUNDS=3 .venv/bin/python bench/forum_pages.py
Linux or macOS; SQLite in a temp folder; loopback only; ends by itself (about ROUNDS x 3 x (DURATION + 2) s).
It builds a throwaway database holding a category and one thread of 50 posts (Markdown of a few paragraphs
each, by five members, rendered at save as the product does), starts `gunicorn -w 1 -k gthread --threads 8` on
a free 127.0.0.1 port (the README's production command, fewer threads), logs a member in through the real form,
then, round after round, sends CLIENTS threads of keep-alive requests at each address for DURATION seconds and
counts answers. The "hello" route exists only in this file's app factory (`server_app`), never in the product.
The load comes from a small Python client with threads (`wrk` is not installed on the project's machine); on
a 2-core machine it shares the CPU with the server, which weighs most on the fastest route (hello), so the
ratio is if anything flattering to the thread page.
Figures go in bench/README.md.
"""

import http.client
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import dataset  # noqa: E402

CLIENTS = int(os.environ.get("CLIENTS", 8))
DURATION = float(os.environ.get("DURATION", 10))  # seconds per measurement
WARM_UP = 2.0  # seconds of requests before each measurement, not counted
ROUNDS = int(os.environ.get("ROUNDS", 3))
THREADS = 8  # gunicorn --threads
POSTS = 50
EMAIL, PASSWORD = "reader@bench.test", "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
TIMEOUT = 60
SEARCH_WORD = "pacing"

# The posts' words: the large data set's (bench/dataset.py), so both benches read alike.
PARAGRAPHS = dataset.PARAGRAPHS


def _config(folder: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "MAIL_OUTBOX_DIR": f"{folder}/outbox",
            "MAIL_SERVER": None, "REDIS_URL": None, "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_ENABLED": False, "DEMO_MODE": False}


def server_app():
    """gunicorn's entry point (`forum_pages:server_app()`): the product's app, plus a bare "hello" route to
    compare with (the same app, server, middleware and after-request hooks; no template, no query)."""
    from community import create_app

    app = create_app(_config(os.environ["BENCH_FOLDER"]))

    @app.get("/bench/hello")
    def bench_hello():
        return "hello"

    return app


def make_database(folder: str) -> int:
    """The throwaway database: members, a category, one thread of POSTS posts. Returns the thread's id."""
    import logging

    from community import create_app
    from community.extensions import db
    from community.forums import services as forums
    from community.pages.services import accept_guidelines
    from tests.factories import make_member, make_user

    logging.getLogger("community.mail").setLevel(logging.ERROR)  # welcome emails, written to the outbox
    with create_app(_config(folder)).app_context():
        db.create_all()
        admin = make_user("admin@bench.test", role="admin", two_factor_on=False)
        reader = make_member(EMAIL, display_name="Rowan Reader", password=PASSWORD)
        writers = [make_member(f"writer{n}@bench.test", display_name=f"Writer {n}") for n in range(1, 5)]
        for person in [reader, *writers]:
            accept_guidelines(person)
        category = forums.create_category(admin, "Living with a leak", "Day to day life with a CSF leak.")
        authors = [reader, *writers]
        first = forums.create_thread(writers[0], category, "What helped you in the first weeks?",
                                     "\n\n".join(PARAGRAPHS[:2]))
        for number in range(2, POSTS + 1):
            body = "\n\n".join(PARAGRAPHS[(number + k) % len(PARAGRAPHS)] for k in range(1 + number % 3))
            forums.create_post(authors[number % len(authors)], first.thread, body, allow_contact_details=True)
        thread_id = first.thread_id
        db.session.remove()
        db.engine.dispose()
    return thread_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cookies(response, jar: dict) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        jar[name.strip()] = value


def _cookie_header(jar: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def request(port: int, method: str, path: str, jar: dict, body: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    headers = {"Cookie": _cookie_header(jar)} if jar else {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        _cookies(response, jar)
        return response.status, response.read().decode()
    finally:
        connection.close()


def log_in(port: int) -> dict:
    """The member's cookies after logging in through the real form."""
    jar: dict = {}
    status, page = request(port, "GET", "/login", jar)
    assert status == 200, status
    status, page = request(port, "POST", "/login", jar, {"email": EMAIL, "password": PASSWORD,
                                                         "csrf_token": CSRF.search(page).group(1)})
    assert status == 302, f"log-in answered {status}: {page[:300]}"
    return jar


def wait_until_serving(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            if request(port, "GET", "/healthz", {})[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


class Result:
    def __init__(self, path: str, seconds: float, latencies: list[float], errors: dict[str, int]):
        self.path, self.seconds, self.errors = path, seconds, errors
        self.latencies = sorted(latencies)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, share: float) -> float:
        return self.latencies[max(int(len(self.latencies) * share) - 1, 0)] * 1000 if self.latencies else 0.0


def load(port: int, path: str, cookie: str, seconds: float) -> Result:
    """CLIENTS threads, each on one keep-alive connection, ask for `path` again and again for `seconds`."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        mine, failed = [], {}
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    mine.append(time.perf_counter() - start)
                else:
                    failed[str(response.status)] = failed.get(str(response.status), 0) + 1
                if response.will_close:
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            except (OSError, http.client.HTTPException) as error:
                failed[type(error).__name__] = failed.get(type(error).__name__, 0) + 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        connection.close()
        with lock:
            latencies.extend(mine)
            for key, count in failed.items():
                errors[key] = errors.get(key, 0) + count

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(path, time.perf_counter() - began, latencies, errors)


def run(folder: str, thread_id: int) -> None:
    port = free_port()
    env = {**os.environ, "BENCH_FOLDER": folder}
    log = open(Path(folder) / "gunicorn.log", "w")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", str(THREADS),
         "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--pythonpath", str(ROOT / "bench"),
         "forum_pages:server_app()"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(port, server)
        jar = log_in(port)
        cookie = _cookie_header(jar)
        paths = {"hello": "/bench/hello", "thread": f"/forums/t/{thread_id}",
                 "search": f"/search?q={SEARCH_WORD}"}
        for name, path in paths.items():
            status, page = request(port, "GET", path, dict(jar))
            assert status == 200, f"{path} answered {status}"
            if name == "thread":
                shown = page.count("<article")
                print(f"thread page: {shown} posts shown of {POSTS}, {len(page.encode()) / 1024:.1f} KB of HTML")
            if name == "search":
                print(f"search page: {page.count('<mark>')} highlighted words")
        print(f"{os.cpu_count()} cores; gunicorn -w 1 -k gthread --threads {THREADS}; "
              f"Python client, {CLIENTS} keep-alive connections, {DURATION:.0f} s a measurement, "
              f"{ROUNDS} rounds", flush=True)
        results: dict[str, list[Result]] = {name: [] for name in paths}
        for number in range(1, ROUNDS + 1):
            for name, path in paths.items():
                load(port, path, cookie, WARM_UP)
                result = load(port, path, cookie, DURATION)
                results[name].append(result)
                errors = ", ".join(f"{count} x {kind}" for kind, count in result.errors.items()) or "none"
                print(f"  round {number} {name:<7} {result.rate:7.1f} req/s  median {result.percentile(0.5):6.1f} ms"
                      f"  p99 {result.percentile(0.99):6.1f} ms  errors: {errors}", flush=True)
        rates = {name: statistics.median(r.rate for r in runs) for name, runs in results.items()}
        print("median of the rounds:")
        for name, rate in rates.items():
            print(f"  {name:<7} {rate:7.1f} req/s   {rate / rates['hello'] * 100:5.1f}% of hello")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        if "database is locked" in (Path(folder) / "gunicorn.log").read_text():
            print("gunicorn.log reports 'database is locked'")


def main() -> None:
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)  # so nothing is written to instance/
    with tempfile.TemporaryDirectory() as folder:
        thread_id = make_database(folder)
        run(folder, thread_id)


if __name__ == "__main__":
    main()
