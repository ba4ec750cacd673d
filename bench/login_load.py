"""Benchmark: a gunicorn worker's memory and log-ins per second under 32 log-ins at once, before and after
password hashing was bounded (community/accounts/passwords.py).

Run by hand:  .venv/bin/python bench/login_load.py                 (every mode in MODES, about 2 minutes)
              .venv/bin/python bench/login_load.py before after    (just those)
Linux only (it reads /proc); SQLite in a temp folder; loopback only. For each mode it starts
`gunicorn -w 1 -k gthread --threads 32` on a free 127.0.0.1 port, sends BURSTS bursts of CLIENTS clients each
logging in LOGINS times (GET /login for the CSRF token, then POST; 302 is success), and reads the worker's
VmRSS, VmHWM (peak) and CPU time from /proc. Rate limits are off. Figures go in bench/README.md.
"""

import ctypes
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

CLIENTS = int(os.environ.get("CLIENTS", 32))
LOGINS = int(os.environ.get("LOGINS", 5))  # per client and burst
BURSTS = int(os.environ.get("BURSTS", 3))
MODES = {
    "before": "each hash on its request's thread, no bound (the code before the fix)",
    "semaphore": "alternative not taken: hashes on request threads, a semaphore of one per core",
    "semaphore+mmap": "alternative not taken: the semaphore, and glibc told to mmap (so unmap) big blocks",
    "after": "hashes on threads of their own, one per core (PASSWORD_HASHING_CONCURRENCY to change)",
}
EMAIL, PASSWORD = "load@bench.test", "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
TIMEOUT = 60  # seconds for any one request or wait; the benchmark always ends


def _config(folder: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "MAIL_OUTBOX_DIR": f"{folder}/outbox",
            "MAIL_SERVER": None, "REDIS_URL": None, "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_ENABLED": False, "DEMO_MODE": False}


class SemaphoreHasher:
    """Wraps argon2's PasswordHasher so that at most `slots` hashes or checks run at once, on any thread."""

    def __init__(self, hasher, slots: int):
        self.hasher, self.slots = hasher, threading.BoundedSemaphore(slots)

    def hash(self, *args, **kwargs):
        with self.slots:
            return self.hasher.hash(*args, **kwargs)

    def verify(self, *args, **kwargs):
        with self.slots:
            return self.hasher.verify(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.hasher, name)


def server_app():
    """gunicorn's entry point (`login_load:server_app()`): the app, with hashing set up as BENCH_MODE says."""
    from community import create_app
    from community.accounts import passwords

    mode = os.environ["BENCH_MODE"]
    if mode != "after":
        passwords.set_hashing_concurrency(None)
    if mode.startswith("semaphore"):
        passwords._hasher = SemaphoreHasher(passwords._hasher, os.cpu_count())
    if mode == "semaphore+mmap":
        ctypes.CDLL("libc.so.6").mallopt(-3, 4 * 1024 * 1024)  # M_MMAP_THRESHOLD, fixed: no dynamic raise
    return create_app(_config(os.environ["BENCH_FOLDER"]))


def make_database(folder: str) -> None:
    from community import create_app
    from community.accounts.services import create_verified_user
    from community.extensions import db

    with create_app(_config(folder)).app_context():
        db.create_all()
        create_verified_user(EMAIL, "Load Test", PASSWORD)
        db.session.remove()
        db.engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, cookie: str = "", body: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    headers = {"Cookie": cookie} if cookie else {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Set-Cookie") or "", response.read().decode()
    finally:
        connection.close()


def log_in(port: int) -> float:
    """One log-in from a fresh browser (its own cookie); returns the seconds it took."""
    start = time.perf_counter()
    status, set_cookie, page = request(port, "GET", "/login")
    assert status == 200, status
    cookie = set_cookie.split(";", 1)[0]
    token = CSRF.search(page).group(1)
    status, _, page = request(port, "POST", "/login", cookie, {"email": EMAIL, "password": PASSWORD,
                                                               "csrf_token": token})
    assert status == 302, f"log-in answered {status}: {page[:300]}"
    return time.perf_counter() - start


def memory_mb(pid: int) -> tuple[float, float]:
    """The process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used (user + system): unlike log-ins per second, other load barely moves it."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                if f"\nPPid:\t{master}\n" in status.read_text():
                    return int(status.parent.name)
            except OSError:
                continue
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def wait_until_serving(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


def burst(port: int) -> tuple[float, list[float]]:
    """CLIENTS threads each log in LOGINS times; returns the seconds taken and every log-in's latency."""
    latencies, failures = [], []

    def client():
        try:
            for _ in range(LOGINS):
                latencies.append(log_in(port))
        except Exception as error:  # noqa: BLE001 - reported below, after every thread ends
            failures.append(error)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} clients failed, first: {failures[0]!r}")
    return time.perf_counter() - start, latencies


def run(mode: str, folder: str) -> None:
    port = free_port()
    env = {**os.environ, "BENCH_MODE": mode, "BENCH_FOLDER": folder}
    log = open(Path(folder) / f"gunicorn-{mode}.log", "w")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", str(CLIENTS),
         "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--pythonpath", str(ROOT / "bench"),
         "login_load:server_app()"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(port, server)
        worker = worker_pid(server.pid)
        log_in(port)  # warm up: one log-in, as a quiet worker has had
        idle, _ = memory_mb(worker)
        print(f"\n{mode}: {MODES[mode]}")
        print(f"  idle after one log-in          RSS {idle:5.0f} MB")
        for number in range(1, BURSTS + 1):
            cpu_before = cpu_seconds(worker)
            seconds, latencies = burst(port)
            cpu = (cpu_seconds(worker) - cpu_before) / len(latencies)
            time.sleep(1)  # let freed memory settle before reading it
            rss, peak = memory_mb(worker)
            latencies.sort()
            p95 = latencies[int(len(latencies) * 0.95) - 1]
            print(f"  burst {number}: {len(latencies)} log-ins  RSS {rss:5.0f} MB  peak {peak:5.0f} MB  "
                  f"{len(latencies) / seconds:4.1f} log-ins/s  CPU {cpu * 1000:3.0f} ms each  "
                  f"median {statistics.median(latencies) * 1000:4.0f} ms  p95 {p95 * 1000:4.0f} ms", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def main() -> None:
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)  # so nothing is written to instance/
    with tempfile.TemporaryDirectory() as folder:
        make_database(folder)
        print(f"{os.cpu_count()} cores; {CLIENTS} clients x {LOGINS} log-ins a burst, {BURSTS} bursts per mode")
        for mode in sys.argv[1:] or MODES:
            run(mode, folder)


if __name__ == "__main__":
    main()
