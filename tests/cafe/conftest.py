"""Café test helpers: a room open now, and members connected to it each through their own Flask test client
(so each has their own log-in), with what their socket received read back by event name."""

import pytest
from flask import g

from community.extensions import socketio
from tests.cafe.processes import open_session_covering_now

NAMESPACE = "/cafe"


@pytest.fixture
def open_room(app):
    """An extra café session running now (opened an hour ago, ends in two hours); its id."""
    return open_session_covering_now()


def _fresh_g() -> None:
    """Tests keep one app context open, and Flask-SocketIO runs each event in it, so Flask-Login's cached
    `g._login_user` would be the last person's: empty `g` as every real event's fresh context would be."""
    g.__dict__.clear()


class Person:
    """One person in the room: their user, their own Flask test client (their log-in) and their socket."""

    def __init__(self, user, web, sio):
        self.user, self.web, self.sio = user, web, sio

    @property
    def connected(self) -> bool:
        return self.sio.is_connected(NAMESPACE)

    def ask(self, event: str, *args):
        """Emit an event and return its acknowledgement."""
        _fresh_g()
        return self.sio.emit(event, *args, namespace=NAMESPACE, callback=True)

    def say(self, body: str, **extra):
        return self.ask("send", {"body": body, **extra})

    def received(self, name: str | None = None) -> list:
        """The arguments of the events received so far (all, or those named `name`), taken off the queue. Works
        after the socket was closed too (the test client's own get_received refuses then)."""
        taken = [packet for packet in self.sio.queue if name is None or packet["name"] == name]
        self.sio.queue = [packet for packet in self.sio.queue if packet not in taken]
        # The test client keeps a "message" event's single argument as it is, other events' as a list.
        return [packet["args"] if packet["name"] == "message" else
                (packet["args"][0] if len(packet["args"]) == 1 else packet["args"]) for packet in taken]

    def reconnect(self):
        _fresh_g()
        self.sio = socketio.test_client(self.sio.app, namespace=NAMESPACE, flask_test_client=self.web)
        return self


@pytest.fixture
def connect(app, login):
    """connect(user) logs `user` in on a new test client and opens their café socket; returns a Person (whose
    `connected` says whether the room let them in). Sockets still open are closed at the end."""
    people = []

    def _connect(user, web=None, log_in=True):
        web = web or app.test_client()
        if log_in and user is not None:
            response = login(user, the_client=web)
            assert response.status_code == 302, response.text
        _fresh_g()
        person = Person(user, web, socketio.test_client(app, namespace=NAMESPACE, flask_test_client=web))
        people.append(person)
        return person

    yield _connect
    for person in people:
        if person.connected:
            person.sio.disconnect(NAMESPACE)
