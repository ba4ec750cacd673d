"""Load bench (issue 14): the main pages under the production server, side by side with a bare "hello" route of
the same app, with wrk, on PostgreSQL holding the large data set, with Redis. Linux only; run by hand.

    .venv/bin/python bench/load.py                      # seed bench_load afresh (about 30 s), then measure
    .venv/bin/python bench/load.py --reuse              # measure on the data set already in bench_load
    .venv/bin/python bench/load.py --reuse --processes 2 --duration 20 --connections 64
    .venv/bin/python bench/load.py --reuse --pages thread account   # hello and the pages named so

What it does, in order:
1. The database (`--database-url`, default bench_load on the local PostgreSQL): dropped, created and seeded by
   bench/dataset.py (migrations, then 10,000 members, 100,000 posts, 5,000 stories), unless `--reuse`. Then the
   café room is opened with 60 messages (the busiest hour is the Wednesday café), if it is not open already.
2. A private redis-server (no persistence) on a free port, as REDIS_URL: the café's queue between processes.
3. `--processes` gunicorn processes, each as the Procfile starts one: `gunicorn 'bench.load_app:create()'`, reading
   gunicorn.conf.py (one gevent worker) with PORT set, SOCKETIO_ASYNC_MODE=gevent, the same SECRET_KEY,
   DATABASE_URL and REDIS_URL (without gunicorn.conf.py: `-k gevent -w 1 --no-control-socket`). One change:
   `--max-requests 0`, since a worker replaced mid-run (the conf's 20,000) would hide exactly the memory growth
   measured here. bench/load_app.py is app.py's app plus `/_bench/hello`, rate limits off.
4. Logs in once through the real form (reader@bench.test) and hands the session cookie to wrk for the signed-in
   pages. Every request says `Accept-Encoding: gzip`, as browsers do (the app compresses only what BREACH allows).
5. Warm-up: 30 requests to every page on every process; then each worker's RSS (VmRSS from /proc).
6. Each page in turn: `wrk -t2 -cCONNECTIONS -dDURATION --latency`. With several processes, one wrk per process
   at once (the connections and threads split between them), as a proxy spreads visitors over the ports: req/s
   is their sum, p50 and p99 the worst process's. Then each worker's RSS again.
7. A table (page, req/s, share of hello, p50, p99, bytes) with PASS/FAIL against the issue's targets (and, without
   a target, hello with the session cookie: the floor every signed-in page starts from): anonymous
   pages >= 40% of hello, signed-in pages >= 25%, the thread of 50 posts >= 35%, every p99 < 100 ms, each worker
   within 50 MB of its size after warm-up. Beside it, the workers' CPU time per request (/proc/<pid>/stat) and
   hello's over the page's: the share the page would reach with the cores to itself, which moves far less than
   req/s when other work shares the machine (it leaves out PostgreSQL's own CPU).

wrk and the servers share the machine's cores: on 2 cores wrk's 2 threads take a good part of one, so the
figures are for comparing pages within one run (that is why hello is measured in the same run), not absolutes.
Figures go in bench/README.md.
"""

import argparse
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dataset import BENCH_PASSWORD, READER_EMAIL, Sizes, build, long_thread_id, open_cafe_with_messages  # noqa: E402
from bench.load_app import HELLO_PATH  # noqa: E402
from tests.cafe.processes import GUNICORN, PrivateRedis, _die_with_parent, _stop, _tail, free_port  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_load"
SECRET_KEY = "load-bench-secret-key-0123456789abcdefghijkl"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
WARM_UP_REQUESTS = 30
CAFE_MESSAGES = 60
# The targets.
ANONYMOUS_SHARE, SIGNED_IN_SHARE, THREAD_SHARE = 0.40, 0.25, 0.35
P99_LIMIT_MS = 100.0
MEMORY_GROWTH_LIMIT_MB = 50.0


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    signed_in: bool
    target: float | None  # the share of hello it must reach (None: hello itself, and hello signed in)

    @property
    def is_hello(self) -> bool:
        return self.path == HELLO_PATH and not self.signed_in


@dataclass
class Measured:
    page: Page
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    bytes: int
    encoding: str
    cpu_ms: float  # the workers' CPU time (user + system) per request: steadier than req/s on a shared machine
    database_cpu_ms: float  # PostgreSQL's processes' CPU time per request, when it runs on this machine


# The database and the data set ---------------------------------------------------------------------------------

def prepare_database(database_url: str, reuse: bool, sizes: Sizes) -> dict:
    """Seed a fresh database (dropped and created again) unless `reuse`; open the café; return the pages' ids."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if not reuse:
        if not url.drivername.startswith("postgresql") or not (url.database or "").startswith("bench"):
            raise SystemExit("Without --reuse the database is dropped and seeded again: give a PostgreSQL database "
                             "whose name starts with 'bench' (default: bench_load).")
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
        admin.dispose()
        print(f"Seeding {url.database}:")
        build(database_url, sizes)

    from community import create_app
    from community.extensions import db
    from community.pages.models import Page as HubPage

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None, "RATELIMIT_STORAGE_URI": "memory://",
                      "MAIL_SERVER": None, "DEMO_MODE": False})
    with app.app_context():
        thread_id = long_thread_id()
        if thread_id is None:
            raise SystemExit(f"{url.database} holds no data set: run without --reuse first.")
        hub = db.session.scalar(select(HubPage.slug).where(HubPage.kind == "hub", HubPage.published.is_(True))
                                .order_by(HubPage.position, HubPage.id).limit(1))
        open_cafe_with_messages(CAFE_MESSAGES)
        db.session.remove()
        db.engine.dispose()
    return {"thread_id": thread_id, "hub": hub}


def pages_to_measure(found: dict) -> list[Page]:
    return [
        Page("hello", HELLO_PATH, False, None),
        # The same hello with the session cookie: only the look-up every signed-in page makes first (the session,
        # user and membership, one query). No target: it shows the floor under the signed-in pages' shares.
        Page("hello, signed in", HELLO_PATH, True, None),
        Page("home", "/", False, ANONYMOUS_SHARE),
        Page("hub page", f"/resources/{found['hub']}", False, ANONYMOUS_SHARE),
        Page("story list", "/stories", False, ANONYMOUS_SHARE),
        Page("café page", "/cafe", False, ANONYMOUS_SHARE),
        Page("thread of 50 posts", f"/forums/t/{found['thread_id']}", True, THREAD_SHARE),
        Page("/account", "/account", True, SIGNED_IN_SHARE),
        Page("café room (open, 60 messages)", "/cafe/room", True, SIGNED_IN_SHARE),
    ]


# The servers ----------------------------------------------------------------------------------------------------

def start_servers(count: int, database_url: str, redis_url: str, folder: Path) -> tuple[list, list[int], list[Path]]:
    """`count` gunicorn processes as the Procfile runs them (gunicorn.conf.py if there is one), one port each."""
    base_env = {key: value for key, value in os.environ.items()
                if not key.startswith(("FLASK_", "RATELIMIT", "STRIPE_", "MAIL_", "TEST_", "GUNICORN"))}
    has_conf = (ROOT / "gunicorn.conf.py").exists()
    processes, ports, logs = [], [], []
    for number in range(count):
        port = free_port()
        log = folder / f"server-{number + 1}.log"
        env = {**base_env, "PORT": str(port), "DATABASE_URL": database_url, "REDIS_URL": redis_url,
               "SECRET_KEY": SECRET_KEY, "SOCKETIO_ASYNC_MODE": "gevent", "DEMO_MODE": "0",
               "SITE_URL": f"http://127.0.0.1:{port}", "PYTHONUNBUFFERED": "1"}
        if has_conf:
            command = [str(GUNICORN), "-c", "gunicorn.conf.py", "--max-requests", "0", "bench.load_app:create()"]
        else:
            command = [str(GUNICORN), "-k", "gevent", "-w", "1", "--no-control-socket", "-b", f"127.0.0.1:{port}",
                       "bench.load_app:create()"]
        with open(log, "ab") as output:
            processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                              start_new_session=True, preexec_fn=_die_with_parent))
        ports.append(port)
        logs.append(log)
    for port, process, log in zip(ports, processes, logs, strict=True):
        wait_until_healthy(port, process, log)
    return processes, ports, logs


def wait_until_healthy(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn on port {port} exited:\n{_tail(log)}")
        try:
            if fetch(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn on port {port} did not answer /healthz:\n{_tail(log)}")


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's worker processes (its children), from /proc."""
    children = Path(f"/proc/{master}/task/{master}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command name (state first); [] once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def cpu_seconds(pid: int, ended_children: bool = False) -> float:
    """The process's CPU time so far (user + system), and with `ended_children` that of its children that have
    ended; 0 once it is gone."""
    fields = _stat(pid)
    if not fields:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if ended_children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> float:
    """The CPU time so far of every PostgreSQL process on this machine (0 when it runs elsewhere). The bench's
    server and database share the cores, so a page's statements cost the workers CPU twice over: theirs and
    the database's."""
    pids = set()
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                pids.add(int(comm.parent.name))
        except OSError:
            continue  # ended meanwhile
    # A connection's process ends when the pool closes it (its overflow ones, say): its time then counts in the
    # postmaster's, the parent of every other.
    return sum(cpu_seconds(pid, ended_children=int((_stat(pid) or [0, 0])[1]) not in pids) for pid in pids)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# HTTP -----------------------------------------------------------------------------------------------------------

def fetch(port: int, path: str, cookie: str = "", method: str = "GET", body: str | None = None,
          headers: dict | None = None) -> tuple[int, bytes, dict]:
    """One request; the body as sent (compressed if it was), and the headers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Accept-Encoding": "gzip", **({"Cookie": cookie} if cookie else {}), **(headers or {})}
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return response.status, response.read(), {name.lower(): value for name, value in response.getheaders()}
    finally:
        connection.close()


def log_in(port: int) -> str:
    """The reader's cookies after logging in through the real form, as a Cookie header."""
    import urllib.parse

    jar: dict[str, str] = {}

    def keep(headers_list):
        for name, value in headers_list:
            if name.lower() == "set-cookie":
                key, _, rest = value.split(";", 1)[0].partition("=")
                jar[key.strip()] = rest

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    keep(response.getheaders())
    form = urllib.parse.urlencode({"email": READER_EMAIL, "password": BENCH_PASSWORD,
                                   "csrf_token": CSRF.search(page).group(1)})
    connection.request("POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{key}={value}" for key, value in jar.items())})
    response = connection.getresponse()
    response.read()
    keep(response.getheaders())
    connection.close()
    if response.status != 302:
        raise SystemExit(f"Logging in as {READER_EMAIL} answered {response.status}, not 302.")
    return "; ".join(f"{key}={value}" for key, value in jar.items())


# wrk ------------------------------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * _UNITS[unit]


def run_wrk(port: int, path: str, cookie: str, threads: int, connections: int, seconds: float) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s",
               "-H", "Accept-Encoding: gzip"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                            check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)\s*$", output, re.MULTILINE))
    if set(latency) != {"50", "99"}:
        raise SystemExit(f"wrk at {path} gave no latency distribution:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {"rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "requests": int(re.search(r"(\d+) requests in", output).group(1)),
            "p50": _milliseconds(latency["50"]), "p99": _milliseconds(latency["99"]),
            "errors": (int(errors.group(1)) if errors else 0)
            + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0)}


def measure(page: Page, ports: list[int], workers: list[int], cookie: str, threads: int, connections: int,
            seconds: float) -> Measured:
    """wrk at `page` on every process at once (connections and threads shared out); summed rate, worst latency,
    and the workers' CPU time per request."""
    from concurrent.futures import ThreadPoolExecutor

    cookie = cookie if page.signed_in else ""
    cpu_before, database_before = sum(cpu_seconds(pid) for pid in workers), database_cpu_seconds()
    each_connections = max(1, connections // len(ports))
    each_threads = max(1, threads // len(ports))
    with ThreadPoolExecutor(len(ports)) as pool:
        results = list(pool.map(lambda port: run_wrk(port, page.path, cookie, each_threads, each_connections,
                                                     seconds), ports))
    cpu = sum(cpu_seconds(pid) for pid in workers) - cpu_before
    database_cpu = database_cpu_seconds() - database_before
    status, body, headers = fetch(ports[0], page.path, cookie)
    if status != 200:
        raise SystemExit(f"{page.path} answered {status}")
    requests = max(1, sum(r["requests"] for r in results))
    return Measured(page, sum(r["rate"] for r in results), max(r["p50"] for r in results),
                    max(r["p99"] for r in results), sum(r["errors"] for r in results), len(body),
                    headers.get("content-encoding", "identity"), cpu * 1000 / requests,
                    database_cpu * 1000 / requests)


# The report ------------------------------------------------------------------------------------------------------

def verdicts(rows: list[Measured], hello: float) -> list[tuple[Measured, float, str]]:
    out = []
    for row in rows:
        share = row.requests_per_second / hello if hello else 0.0
        checks = []
        if row.page.target is not None:
            checks.append(share >= row.page.target)
        checks.append(row.p99_ms < P99_LIMIT_MS)
        checks.append(row.errors == 0)
        out.append((row, share, "PASS" if all(checks) else "FAIL"))
    return out


def print_table(rows: list[Measured]) -> None:
    hello = next(row.requests_per_second for row in rows if row.page.is_hello)
    hello_cpu = next(row.cpu_ms for row in rows if row.page.is_hello)
    print(f"\n{'page':<32} {'req/s':>8} {'share':>6} {'target':>7} {'p50 ms':>7} {'p99 ms':>7} {'bytes':>8}  "
          f"{'errors':>6}  {'result':<6}  {'CPU ms/req':>10} {'CPU share':>9} {'DB ms/req':>9}")
    for row, share, verdict in verdicts(rows, hello):
        target = "-" if row.page.target is None else f">={row.page.target:.0%}"
        size = f"{row.bytes:,}" + ("z" if row.encoding == "gzip" else "")
        print(f"{row.page.name + (' *' if row.page.signed_in else ''):<32} {row.requests_per_second:>8.0f} "
              f"{share:>6.0%} {target:>7} {row.p50_ms:>7.1f} {row.p99_ms:>7.1f} {size:>8}  {row.errors:>6}  "
              f"{verdict:<6}  {row.cpu_ms:>10.2f} {hello_cpu / row.cpu_ms if row.cpu_ms else 0:>9.0%} "
              f"{row.database_cpu_ms:>9.2f}")
    print(f"* signed in.  z: gzip-compressed size as sent.  Targets: share of hello as shown, p99 < "
          f"{P99_LIMIT_MS:.0f} ms, no errors.\nCPU ms/req: the workers' CPU time per request; CPU share: hello's "
          "CPU per request over the page's, the share of hello the page would reach with the CPU to itself.\n"
          "DB ms/req: PostgreSQL's CPU time per request (its processes on this machine; 0 if it runs elsewhere).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--reuse", action="store_true", help="measure on the data set already in the database")
    parser.add_argument("--processes", type=int, default=1, help="gunicorn processes, one port each (default 1)")
    parser.add_argument("--duration", type=float, default=10, help="seconds of wrk per page (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections in all (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads in all (default 2)")
    parser.add_argument("--pages", nargs="*", help="only the pages whose names hold one of these words (and hello)")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--stories", type=int, default=5_000)
    args = parser.parse_args()

    found = prepare_database(args.database_url, args.reuse, Sizes(args.members, args.posts, args.stories))
    pages = [page for page in pages_to_measure(found)
             if page.target is None or not args.pages or any(word in page.name for word in args.pages)]
    with tempfile.TemporaryDirectory(prefix="load-bench-") as folder:
        redis = PrivateRedis(Path(folder))
        redis.start()
        processes: list = []
        try:
            processes, ports, logs = start_servers(args.processes, args.database_url, redis.url, Path(folder))
            cookie = log_in(ports[0])
            for port in ports:
                for page in pages:
                    for _ in range(WARM_UP_REQUESTS):
                        status = fetch(port, page.path, cookie if page.signed_in else "")[0]
                        if status != 200:
                            raise SystemExit(f"{page.path} answered {status} on port {port}:\n{_tail(logs[0])}")
            workers = {process.pid: worker_pids(process.pid) for process in processes}
            before = {pid: rss_mb(pid) for pids in workers.values() for pid in pids}
            print(f"\n{args.processes} process(es) on ports {', '.join(map(str, ports))}; wrk -t{args.threads} "
                  f"-c{args.connections} -d{args.duration:g}s on each page (split over the processes)")
            rows = []
            for page in pages:
                rows.append(measure(page, ports, [pid for pids in workers.values() for pid in pids], cookie,
                                    args.threads, args.connections, args.duration))
                print(f"  {page.name}: {rows[-1].requests_per_second:.0f} req/s", flush=True)
            print_table(rows)
            print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{n:.2f}" for n in os.getloadavg())
                  + f" on {os.cpu_count()} cores (other work on the machine shows here)")
            print("\nworker memory (VmRSS):")
            for master, pids in workers.items():
                for pid in pids:
                    if pid not in worker_pids(master):
                        print(f"  worker {pid}: {before[pid]:.0f} MB after start and warm-up, REPLACED during the "
                              "run  FAIL")
                        continue
                    after = rss_mb(pid)
                    growth = after - before[pid]
                    verdict = "PASS" if growth <= MEMORY_GROWTH_LIMIT_MB else "FAIL"
                    print(f"  worker {pid}: {before[pid]:.0f} MB after start and warm-up, {after:.0f} MB after the "
                          f"run ({growth:+.0f} MB, limit +{MEMORY_GROWTH_LIMIT_MB:.0f})  {verdict}")
        finally:
            for process in processes:
                _stop(process)
            redis.stop()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
