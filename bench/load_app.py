"""The WSGI app bench/load.py serves: the product's app, built as app.py builds it, plus a bare "hello" route.

`gunicorn 'bench.load_app:create()'`. Two differences from `app.py`, both for measuring only, never in the product:
- `GET /_bench/hello` answers "hello" with no template and no query, through the same app, server, middleware,
  before- and after-request hooks as every page: the yardstick the issue's targets are shares of.
- rate limits are off (`RATELIMIT_ENABLED=False`, passed to the same factory): wrk sends thousands of requests a
  second from one address. The product has no environment switch for this on purpose, so no deployment can
  turn its limits off by accident.

(gc.freeze() once the app is loaded is the product's own: gunicorn.conf.py's post_worker_init.)
"""

import os

if os.environ.get("SOCKETIO_ASYNC_MODE") == "gevent":
    # As app.py: patched first thing (gunicorn's gevent worker has already done it; this is for other starters).
    from gevent import monkey

    monkey.patch_all()

HELLO_PATH = "/_bench/hello"


def add_hello(app) -> None:
    """The bare route to compare pages with (bench/profile_page.py adds it to its app too)."""
    from community.permissions import public

    @app.get(HELLO_PATH)
    @public
    def bench_hello():
        return "hello"


def create(config: dict | None = None):
    """gunicorn's factory: the product's app with rate limits off, plus hello."""
    from community import create_app

    app = create_app({"RATELIMIT_ENABLED": False, **(config or {})})
    add_hello(app)
    return app
