"""gunicorn's settings for one process of the site (gunicorn reads this file from the folder it starts in).

One process per core, each on its own port (`PORT`), behind a proxy with sticky sessions: see the Procfile and
README's "Production". Settings on the command line (or in GUNICORN_CMD_ARGS) override these."""

import gc
import os
import sys

# Loopback only: the TLS proxy in front is the only client. (`-b 10.0.0.12:8001` where the proxy is elsewhere.)
bind = [f"127.0.0.1:{os.environ.get('PORT', '8001')}"]

# One gevent worker per process. The café's Socket.IO long-polling needs every request of a connection to reach
# the same process, and gunicorn's own balancing between workers has no sticky sessions: so more cores means more
# processes (ports) behind the proxy, never more workers. gevent serves many slow clients and open café sockets at
# once in one process. The app is imported in the worker after gevent has patched it, so never preload_app.
worker_class = "gevent"
workers = 1
preload_app = False
# The café's Socket.IO in the same mode (app.py and community/cafe/realtime.py read it).
raw_env = ["SOCKETIO_ASYNC_MODE=gevent"]
# Clients served at once by the one worker: the café's peak (every open room page holds a socket) several times
# over, with page requests beside it. Beyond this, new connections wait in the listen backlog instead of growing
# the process without bound. The database is reached by at most DB_POOL_SIZE of them at a time (community/config.py).
worker_connections = 500

# Under gevent a slow client costs a greenlet, not the worker, so `timeout` only catches a stuck process (one
# greenlet holding the CPU, e.g. a blocking C call): then the worker is killed and replaced.
timeout = 30
# On restart or stop, requests in flight get this long to finish: longer than the slowest a request may be (a call
# to Stripe, STRIPE_TIMEOUT_SECONDS: 15 s), so no payment is cut off half-way. A stopping worker accepts no one new
# meanwhile, but it waits only for its slowest request: its café sockets are closed at once (post_worker_init).
graceful_timeout = 20
# An idle keep-alive connection holds one of worker_connections; the proxy opens a new one when it needs to.
keepalive = 5

# A fresh worker every ~20,000 requests, so a slow leak never grows for weeks. The café survives it: its sockets
# are closed, the page reconnects once the new worker answers (about 4 s after the old one was told to stop) and
# fetches every message it missed (static/js/cafe.js). The jitter keeps processes started together from
# restarting together. (tests/browser/test_two_processes.py restarts a worker mid-café.)
max_requests = 20000
max_requests_jitter = 2000

# gunicorn 27 opens a control socket at one path per user by default: several processes on one host would fight
# over it, and nothing here uses gunicornc.
control_socket_disable = True


def post_worker_init(worker):
    """Checks and duties of each worker once the app is loaded."""
    _refuse_blocking_database_waits()
    _close_sockets_when_stopping(worker)
    _freeze_what_the_app_loaded()


def _freeze_what_the_app_loaded():
    """Set aside every object the loaded app holds (modules, templates, the ORM's mappings: about 217,000) from
    the garbage collector's full passes. They live as long as the worker, yet each full pass walked them all, 0.1
    to 0.3 s during which the gevent worker served no one (bench/README.md); frozen, a pass takes well under 1 ms."""
    gc.collect()
    gc.freeze()


def _refuse_blocking_database_waits():
    """Refuse to serve when psycopg was imported before gevent patched the worker (`--preload`, or an import in
    this file): psycopg then waits for PostgreSQL in C, stopping the whole process on every query (measured:
    three `SELECT pg_sleep(1)` at once took 3 s instead of 1 s). psycopg picks its wait function on import."""
    waiting, monkey = sys.modules.get("psycopg.waiting"), sys.modules.get("gevent.monkey")
    if waiting is None or monkey is None or not monkey.is_module_patched("select"):
        return  # no PostgreSQL (SQLite), or not a gevent worker: nothing to wait for cooperatively
    if waiting.wait is getattr(waiting, "wait_c", None):
        raise RuntimeError("psycopg was imported before gevent patched this worker, so every query would block "
                           "the whole process: do not preload the app, and import nothing from it here.")


def _close_sockets_when_stopping(worker):
    """Once the worker is told to stop (max_requests reached, a restart, a deploy), close its café sockets. They
    never end by themselves, so it would wait all of graceful_timeout, accepting no one new on this port meanwhile
    (measured with 10 s: new requests waited 14 s; closed at once: 4 s). The pages reconnect to the fresh worker
    and fetch what they missed."""
    if sys.modules.get("gevent.monkey") is None:
        return
    import gevent

    from community.extensions import socketio

    def close_when_stopping():
        while worker.alive:
            gevent.sleep(0.5)
        if socketio.server is not None:
            socketio.server.eio.disconnect()

    gevent.spawn(close_when_stopping)


def post_request(worker, req, environ, resp):
    """Let the worker's other connections have their turn after each request. A keep-alive connection whose next
    request has already arrived would otherwise be served again and again without gevent ever switching, while the
    rest wait: measured with wrk at 32 connections, half the requests took 0.4 ms and the slowest 1% 0.5-1 s."""
    if sys.modules.get("gevent.monkey") is not None:
        import gevent

        gevent.sleep(0)
