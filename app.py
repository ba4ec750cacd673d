"""The WSGI entry point: `flask run`, gunicorn app:app.

Under gunicorn -k gevent the worker patches the standard library before loading this module; a process started
another way with SOCKETIO_ASYNC_MODE=gevent is patched here, first thing, as gevent requires."""

import os

if os.environ.get("SOCKETIO_ASYNC_MODE") == "gevent":
    from gevent import monkey

    monkey.patch_all()

from community import create_app  # noqa: E402

app = create_app()
