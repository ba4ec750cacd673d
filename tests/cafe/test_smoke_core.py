from datetime import timedelta

from community.cafe import schedule
from community.extensions import socketio, utcnow
from tests.factories import make_member


def test_core_smoke(app, client, login):
    now = utcnow()
    schedule.add_extra(None, schedule.london_today(now).isoformat(), "00:00", "23:59")
    member = make_member()
    login(member)
    sio = socketio.test_client(app, namespace="/cafe", flask_test_client=client)
    assert sio.is_connected("/cafe")
    received = sio.get_received("/cafe")
    assert "state" in [r["name"] for r in received]
    ack = sio.emit("send", {"body": "hello all", "token": "abcdefgh12"}, namespace="/cafe", callback=True)
    assert ack["ok"], ack
    again = sio.emit("send", {"body": "hello all", "token": "abcdefgh12"}, namespace="/cafe", callback=True)
    assert again["message"]["id"] == ack["message"]["id"]
    caught = sio.emit("catch_up", {"after": 0}, namespace="/cafe", callback=True)
    assert [m["body"] for m in caught["messages"]] == ["hello all"]
    client.post("/logout", data={})
