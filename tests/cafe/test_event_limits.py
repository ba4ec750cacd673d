"""The café room's limits: every socket event is limited per member and per kind of event (all their tabs
together), refused with the room's usual "slow down" answer; and joining the room over and over is refused too."""

from sqlalchemy import func, select

from community.cafe.events import SLOW_DOWN
from community.cafe.models import CafeMessage
from community.extensions import db, socketio
from tests.cafe.conftest import NAMESPACE
from tests.factories import make_member, make_user

EVENTS_WITHOUT_A_LIMIT = {"connect", "disconnect"}  # connecting has its own limit; leaving costs nothing


def test_every_event_in_the_room_is_limited(app, open_room, connect):
    ann = connect(make_member())
    app.config["CAFE_EVENT_LIMIT"] = "0 per hour"   # nobody is under it: every limited event is refused
    events = set(socketio.server.handlers[NAMESPACE]) - EVENTS_WITHOUT_A_LIMIT
    assert {"send", "catch_up", "react", "take_a_break", "set_topic", "mute", "remove"} <= events
    answers = {event: ann.ask(event, {"after": 0, "body": "hello", "token": "tok-12345678"}) for event in events}
    assert answers == {event: {"ok": False, "error": SLOW_DOWN} for event in events}
    assert db.session.scalar(select(func.count()).select_from(CafeMessage)) == 0
    assert ann.connected, "a refused event leaves the person in the room"


def test_each_kind_of_event_is_counted_per_member_across_their_tabs(app, open_room, connect):
    app.config["CAFE_EVENT_LIMIT"] = "3 per minute"
    member = make_member()
    ann = connect(member)
    ann_other_tab = connect(member, web=ann.web, log_in=False)
    bea = connect(make_member())

    assert [ann.ask("catch_up", {"after": 0})["ok"] for _ in range(2)] == [True, True]
    assert ann_other_tab.ask("catch_up", {"after": 0})["ok"]
    assert ann.ask("catch_up", {"after": 0}) == {"ok": False, "error": SLOW_DOWN}
    assert ann_other_tab.ask("catch_up", {"after": 0}) == {"ok": False, "error": SLOW_DOWN}
    # Another kind of event has its own count, and another member theirs.
    sent = ann.say("Still here, lying flat.", token="limits-token-1")
    assert sent["ok"], sent
    assert bea.ask("catch_up", {"after": 0})["ok"]
    assert ann.connected and ann_other_tab.connected


def test_hosts_tools_are_limited_too(app, open_room, connect):
    app.config["CAFE_EVENT_LIMIT"] = "2 per minute"
    host = connect(make_user(role="moderator"))
    answers = [host.ask("set_topic", {"topic": f"Topic {number}"}) for number in range(3)]
    assert [answer["ok"] for answer in answers] == [True, True, False]
    assert answers[-1]["error"] == SLOW_DOWN


def test_joining_over_and_over_is_refused_and_others_still_join(app, open_room, connect):
    app.config["CAFE_CONNECT_LIMIT"] = "3 per minute"
    member = make_member()
    first = connect(member)
    for _ in range(2):
        again = connect(member, web=first.web, log_in=False)
        assert again.connected
        again.sio.disconnect(NAMESPACE)
    assert not connect(member, web=first.web, log_in=False).connected
    assert connect(make_member()).connected
