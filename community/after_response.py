"""Work that runs once a response has gone out: the person is answered first, and an answer's timing reveals
nothing about what happens afterwards (whether an address has an account, how slow the mail server is)."""

import logging
from collections.abc import Callable

from flask import after_this_request, current_app, has_request_context

log = logging.getLogger(__name__)


def run_after_response(work: Callable[[], None]) -> None:
    """Call `work` in an app context after this response is sent (at once outside a request, e.g. the CLI).

    `work` must not use the request's database objects: the request's session is gone by then. It runs on the
    thread that served the request, after the answer: a worker with very few threads could be seen to be busy a
    moment longer by a request that follows at once; a mail queue would remove even that.
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

    @after_this_request
    def when_closed(response):
        # Servers close a response after its last byte is sent; werkzeug and gunicorn both do.
        response.call_on_close(run)
        return response
