"""Where one page's time goes: cProfile around the Flask test client, on the load bench's database.

    .venv/bin/python bench/profile_page.py /stories
    .venv/bin/python bench/profile_page.py /forums/t/7651 --signed-in --requests 100 --sort tottime
    .venv/bin/python bench/profile_page.py /account --signed-in --database-url postgresql+psycopg://…/bench_large

The database is bench/load.py's (bench_load by default, seeded by bench/dataset.py). The app is the one
bench/load_app.py serves (rate limits off, and /_bench/hello), in this process, without a server: the figures
are the page's own Python and database time. `--signed-in` logs in as the data set's reader through the real
form first. The page is asked for a few times unprofiled (warm caches, as a running worker has), then
`--requests` times unprofiled (the time a request takes, and the garbage collector's share), then as many under
cProfile; prints the top `--top` functions by cumulative time (or `--sort tottime`), `--only` those from
matching files; `--queries` lists the page's SQL statements with their median times.
"""

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dataset import BENCH_PASSWORD, READER_EMAIL  # noqa: E402
from bench.load import CSRF, DEFAULT_DATABASE  # noqa: E402

WARM_UP = 5


class GarbageCollections:
    """Time spent in Python's cyclic garbage collector while in the `with` block, by generation (gc.callbacks):
    cProfile charges a collection to whichever function happened to allocate when it started."""

    def __init__(self):
        self.seconds, self.counts, self._started = [0.0, 0.0, 0.0], [0, 0, 0], 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._started
            self.counts[info["generation"]] += 1

    def __enter__(self):
        import gc

        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc):
        import gc

        gc.callbacks.remove(self._callback)

    def __str__(self) -> str:
        return "GC: " + ", ".join(f"gen{n} {count}x {seconds * 1000:.1f} ms" for n, (count, seconds)
                                  in enumerate(zip(self.counts, self.seconds, strict=True)))


def print_queries(app, client, path: str, headers: dict, requests: int) -> None:
    """Each SQL statement the page runs, in order, with its median time over `requests` requests."""
    import statistics

    from sqlalchemy import event

    from community.extensions import db

    timings: list[list[tuple[str, float]]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        timings[-1].append((statement, (time.perf_counter() - conn.info.pop("started")) * 1000))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        for _ in range(requests):
            timings.append([])
            client.get(path, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    print(f"{path}: {len(timings[0])} statements a request; median ms of each, in order:")
    for index, (statement, _ms) in enumerate(timings[0]):
        times = [run[index][1] for run in timings if len(run) > index]
        print(f"  {statistics.median(times):7.2f} ms  {' '.join(statement.split())[:230]}")
    print(f"  {statistics.median(sum(ms for _s, ms in run) for run in timings):7.2f} ms in all (median)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="the page, e.g. /stories or /forums/t/7651")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--signed-in", action="store_true", help=f"log in as {READER_EMAIL} first")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--gzip", action="store_true", help="ask for gzip, as browsers do (the bench does)")
    parser.add_argument("--only", help="list only functions whose file matches this regex, e.g. 'community|templates'")
    parser.add_argument("--queries", action="store_true",
                        help="also list the page's SQL statements with their median time")
    args = parser.parse_args()

    import logging

    from bench.load_app import create

    logging.disable(logging.INFO)
    app = create({"SQLALCHEMY_DATABASE_URI": args.database_url, "REDIS_URL": None, "MAIL_SERVER": None,
                  "RATELIMIT_STORAGE_URI": "memory://", "DEMO_MODE": False})
    client = app.test_client()
    headers = {"Accept-Encoding": "gzip"} if args.gzip else {}
    if args.signed_in:
        page = client.get("/login").text
        answer = client.post("/login", data={"email": READER_EMAIL, "password": BENCH_PASSWORD,
                                             "csrf_token": CSRF.search(page).group(1)})
        if answer.status_code != 302:
            raise SystemExit(f"Logging in answered {answer.status_code}")
    for _ in range(WARM_UP):
        response = client.get(args.path, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{args.path} answered {response.status_code}")
    collecting = GarbageCollections()
    started, cpu_started = time.perf_counter(), time.process_time()
    with collecting:
        for _ in range(args.requests):
            client.get(args.path, headers=headers)
    plain = (time.perf_counter() - started) / args.requests * 1000
    cpu = (time.process_time() - cpu_started) / args.requests * 1000
    if args.queries:
        print_queries(app, client, args.path, headers, args.requests)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        client.get(args.path, headers=headers)
    profile.disable()
    output = io.StringIO()
    stats = pstats.Stats(profile, stream=output)
    total = stats.total_tt / args.requests * 1000
    stats.sort_stats(args.sort).print_stats(*([args.only] if args.only else []), args.top)
    print(f"{args.path}: {plain:.2f} ms a request without the profiler ({cpu:.2f} ms of this process's CPU), "
          f"{total:.2f} ms under it "
          f"({args.requests} requests, {len(response.data):,} bytes); {collecting}")
    print(output.getvalue())


if __name__ == "__main__":
    main()
