"""Work that runs beside the response, not inside it: the person is answered at once, and the answer's timing
reveals nothing about what happens next (whether an address has an account, how slow the mail server is).

A small queue per process: one thread of its own runs the work in order. Not `response.call_on_close`: the
development server calls that only once the browser lets go of the connection, which can be never.
"""

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from flask import after_this_request, current_app, has_request_context, request

log = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_pending: set[Future] = set()
_lock = threading.Lock()


def _queue() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(1, thread_name_prefix="after-response")
        return _executor


def _forget_queue_after_fork() -> None:
    # A forked worker (gunicorn --preload) has none of its parent's threads: it starts its own queue when needed.
    global _executor, _lock
    _executor, _lock = None, threading.Lock()
    _pending.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_queue_after_fork)


def run_after_response(work: Callable[[], None]) -> None:
    """Queue `work` to run in an app context once this response is ready (at once outside a request, e.g. the CLI).

    `work` must not use the request's database objects: it runs in a database session of its own.
    """
    if not has_request_context():
        work()
        return
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                work()
            except Exception:  # noqa: BLE001 - nobody is left to see it: log it rather than lose it silently
                log.exception("Work after the response failed")

    def queue_it() -> None:
        future = _queue().submit(run)
        _pending.add(future)
        future.add_done_callback(_pending.discard)

    if getattr(request, "sid", None):
        # A Socket.IO event (the café) has a request context but never a response: queue the work now.
        queue_it()
        return

    @after_this_request
    def queue_after(response):
        queue_it()
        return response


def wait_for_pending_work(timeout: float = 30) -> None:
    """Block until queued work is done: for tests and commands that must see its effects."""
    wait(list(_pending), timeout=timeout)
