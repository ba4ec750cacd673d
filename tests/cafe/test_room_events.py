"""The café room's Socket.IO events through Flask-SocketIO's test client, one Flask test client (one log-in) per
person: who may come in and when, sending (saved, broadcast, once), the limits, the hosts' tools, catching up,
being sent out (log-out, suspension, removal), crisis wording, watched words and hostile input."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.cafe import schedule, services
from community.cafe.models import CafeMessage, CafePresence, CafeSession
from community.extensions import db, utcnow
from community.moderation.models import QueueItem
from community.moderation.services import act_on_member, add_watched_word
from tests.conftest import submit
from tests.factories import make_member, make_user

LONG_AGO = timedelta(hours=3)


def message_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CafeMessage))


def host():
    return make_user(role="moderator", display_name="Hazel the host")


# Who may come in, and when ------------------------------------------------------------------------------------

def test_anonymous_visitor_is_refused_at_connect(open_room, connect):
    visitor = connect(None, log_in=False)
    assert not visitor.connected
    assert db.session.scalar(select(func.count()).select_from(CafePresence)) == 0


def test_registered_account_without_membership_is_refused(open_room, connect):
    assert not connect(make_user()).connected


def test_member_is_let_in_and_given_the_room_so_far(open_room, connect):
    member = connect(make_member(display_name="Ann"))
    assert member.connected
    state = member.received("state")[0]
    assert state["session_id"] == open_room
    assert state["messages"] == [] and state["can_write"] and not state["host"]
    assert [person["name"] for person in state["people"]] == ["Ann"]


def test_room_is_closed_when_no_session_is_open(app, connect):
    # Today's regular café (if it is Wednesday) is not open at this moment, or is hours away: nothing is open.
    now = utcnow()
    db.session.add(CafeSession(starts_at=now - LONG_AGO, ends_at=now - timedelta(hours=1),
                               local_date=schedule.london_today(now), extra=True))
    db.session.commit()
    if schedule.open_cafe() is not None:
        pytest.skip("a regular café happens to be open right now")
    assert not connect(make_member()).connected


def test_extra_session_opens_fifteen_minutes_before_it_starts(app, connect):
    now = utcnow()
    soon = CafeSession(starts_at=now + timedelta(minutes=20), ends_at=now + timedelta(hours=2),
                       local_date=schedule.london_today(now), extra=True)
    db.session.add(soon)
    db.session.commit()
    if schedule.open_cafe() is not None and schedule.open_cafe().session_id != soon.id:
        pytest.skip("a regular café happens to be open right now")
    member = make_member()
    assert not connect(member).connected

    soon.starts_at = utcnow() + timedelta(minutes=14)
    db.session.commit()
    assert connect(member).connected


# Sending ------------------------------------------------------------------------------------------------------

def test_message_is_saved_then_broadcast_to_another_member(open_room, connect):
    ann, bea = connect(make_member(display_name="Ann")), connect(make_member(display_name="Bea"))
    bea.received()

    ack = ann.say("Hello everyone, first time here")

    assert ack["ok"] and not ack["crisis"]
    saved = db.session.get(CafeMessage, ack["message"]["id"])
    assert saved.body == "Hello everyone, first time here" and saved.session_id == open_room
    assert saved.author_id == ann.user.id
    [pushed] = bea.received("message")
    assert pushed["id"] == saved.id and pushed["author"] == "Ann" and pushed["body"] == saved.body


def test_a_repeated_token_saves_the_message_once(open_room, connect):
    ann, bea = connect(make_member()), connect(make_member())
    bea.received()
    first = ann.say("Sent on a shaky connection", token="retry-token-1")
    again = ann.say("Sent on a shaky connection", token="retry-token-1")
    assert first["ok"] and again["ok"]
    assert again["message"]["id"] == first["message"]["id"]
    assert message_count() == 1
    assert len(bea.received("message")) == 1


def test_sending_too_fast_is_refused_with_the_words_kept(app, open_room, connect):
    assert app.config["RATELIMIT_ENABLED"]
    allowed = services.SEND_LIMIT.items[0].amount
    ann = connect(make_member())
    for number in range(allowed):
        assert ann.say(f"message {number}")["ok"]
    refused = ann.say("one too many")
    assert refused == {"ok": False, "error": services.TOO_FAST}
    assert "Your words are still here" in refused["error"]
    assert message_count() == allowed


def test_slow_mode_set_by_a_host_makes_members_wait_but_not_hosts(open_room, connect):
    hazel, ann = connect(host()), connect(make_member())
    ann.received()

    assert hazel.ask("set_slow_mode", {"seconds": 30}) == {"ok": True}
    assert ann.received("slow_mode") == [{"seconds": 30}]
    assert db.session.get(CafeSession, open_room).slow_mode_seconds == 30

    assert ann.say("first")["ok"]
    refused = ann.say("second, straight after")
    assert not refused["ok"]
    assert "Slow mode is on" in refused["error"] and "Please wait" in refused["error"]
    assert "seconds" in refused["error"] and "Your words are still here" in refused["error"]
    # Hosts are exempt.
    assert hazel.say("host one")["ok"] and hazel.say("host two")["ok"]
    assert hazel.ask("set_slow_mode", {"seconds": 7})["ok"] is False  # only the offered settings


def test_muted_member_cannot_send_but_still_receives(open_room, connect):
    hazel, ann, bea = connect(host()), connect(make_member()), connect(make_member())
    ann.received()

    assert hazel.ask("mute", {"member_id": ann.user.id}) == {"ok": True}
    assert ann.received("restricted") == [{"muted": True}]
    refused = ann.say("can I still talk?")
    assert refused == {"ok": False, "error": services.MUTED}
    assert ann.connected

    assert bea.say("Ann, we can still see you here")["ok"]
    assert [message["body"] for message in ann.received("message")] == ["Ann, we can still see you here"]
    assert ann.ask("catch_up", {"after": 0})["ok"]

    assert hazel.ask("unmute", {"member_id": ann.user.id}) == {"ok": True}
    assert ann.say("back again")["ok"]


def test_removed_member_is_disconnected_and_cannot_come_back(open_room, connect):
    hazel, ann = connect(host()), connect(make_member())
    assert hazel.ask("remove", {"member_id": ann.user.id}) == {"ok": True}
    assert not ann.connected
    assert {"message": services.REMOVED} in ann.received("ended")
    assert services.sockets_of(ann.user.id) == []

    assert not ann.reconnect().connected
    # A host cannot remove another host.
    other_host = connect(make_user(role="moderator", display_name="Olu"))
    assert not hazel.ask("remove", {"member_id": other_host.user.id})["ok"]
    assert other_host.connected


# Catching up --------------------------------------------------------------------------------------------------

def test_catch_up_after_a_last_id_returns_exactly_the_missed_messages(open_room, connect):
    ann, bea = connect(make_member(display_name="Ann")), connect(make_member(display_name="Bea"))
    seen = ann.say("one")["message"]["id"]
    first_catch_up = bea.ask("catch_up", {"after": seen})
    assert first_catch_up["ok"] and first_catch_up["messages"] == []
    since = first_catch_up["now"]
    missed = [bea.say("two")["message"]["id"], bea.say("three")["message"]["id"]]

    answer = ann.ask("catch_up", {"after": seen})
    assert [message["id"] for message in answer["messages"]] == missed
    assert [message["body"] for message in answer["messages"]] == ["two", "three"]
    assert {person["name"] for person in answer["people"]} == {"Ann", "Bea"}
    assert ann.ask("catch_up", {"after": missed[-1]})["messages"] == []
    everything = ann.ask("catch_up", {"after": 0})["messages"]
    assert [message["id"] for message in everything] == [seen, *missed]

    # Changes since the last catch-up come back too: a host deletes the first message.
    hazel = connect(host())
    assert hazel.ask("delete_message", {"message_id": seen, "reason": "off topic"}) == {"ok": True}
    changed = {message["id"]: message for message in
               bea.ask("catch_up", {"after": missed[-1], "since": since})["messages"]}
    assert (changed[seen]["state"], changed[seen]["body"], changed[seen]["removed"]) == ("deleted", "",
                                                                                       "Removed by a host.")
    # Nothing newer was missed; older ones may come again (a few seconds' overlap covers servers' clocks).
    assert set(changed) <= {seen, *missed}


# Sent out: log-out and suspension -----------------------------------------------------------------------------

def test_logging_out_over_http_closes_that_log_ins_socket(open_room, connect):
    member = make_member()
    laptop = connect(member)
    phone = connect(member)
    assert laptop.connected and phone.connected

    response = submit(laptop.web, "/logout", {}, page="/")
    assert response.status_code == 302

    assert not laptop.connected
    assert any("logged out" in ended["message"] for ended in laptop.received("ended"))
    # The other log-in (the phone) stays in the room.
    assert phone.connected
    assert phone.ask("catch_up", {"after": 0})["ok"]
    assert not laptop.reconnect().connected


def test_a_moderators_suspension_closes_the_members_sockets(open_room, connect):
    moderator = make_user(role="moderator")
    member = make_member()
    ann = connect(member)
    act_on_member(moderator, member, "suspend", "Repeated personal attacks in the forum.", days=3)
    assert not ann.connected
    assert any("restricted" in ended["message"] for ended in ann.received("ended"))
    assert not ann.reconnect().connected


# Crisis wording and watched words -----------------------------------------------------------------------------

def test_crisis_wording_is_sent_and_alerts_the_hosts(open_room, connect):
    hazel, ann = connect(host()), connect(make_member(display_name="Ann"))
    hazel.received()

    ack = ann.say("Honestly some days I want to die with this headache")

    assert ack["ok"] and ack["crisis"] is True
    [alert] = hazel.received("host_alert")
    assert alert["message_id"] == ack["message"]["id"] and "Ann" in alert["text"]
    assert ann.received("host_alert") == []
    item = db.session.scalar(select(QueueItem).where(QueueItem.kind == services.REVIEW_KIND,
                                                     QueueItem.target_id == ack["message"]["id"]))
    assert item is not None and item.safety and item.status == "open"


def test_a_blocked_watched_word_is_refused_with_the_words_kept(open_room, connect):
    add_watched_word(make_user(role="admin"), "buy cheap pills", "block")
    ann = connect(make_member())
    refused = ann.say("Anyone want to buy cheap pills?")
    assert not refused["ok"]
    assert "buy cheap pills" in refused["error"] and "Your words are still below" in refused["error"]
    assert message_count() == 0


# Reactions and hosts' tools -----------------------------------------------------------------------------------

def test_reactions_toggle_on_and_off(open_room, connect):
    ann, bea = connect(make_member()), connect(make_member())
    message_id = ann.say("Had my patch today")["message"]["id"]
    ann.received()

    given = bea.ask("react", {"message_id": message_id, "kind": "heart"})
    assert given["ok"] and given["message"]["reactions"] == {"heart": [bea.user.id]}
    assert ann.received("message")[-1]["reactions"] == {"heart": [bea.user.id]}
    taken_back = bea.ask("react", {"message_id": message_id, "kind": "heart"})
    assert taken_back["ok"] and taken_back["message"]["reactions"] == {}
    for odd_kind in ("thumbs-down", ["heart"], {"heart": 1}, None):
        assert not bea.ask("react", {"message_id": message_id, "kind": odd_kind})["ok"]


@pytest.mark.parametrize("event, payload", [
    ("set_topic", {"topic": "Sleep"}),
    ("set_slow_mode", {"seconds": 30}),
    ("delete_message", {"message_id": "MESSAGE"}),
    ("mute", {"member_id": "MEMBER"}),
    ("unmute", {"member_id": "MEMBER"}),
    ("remove", {"member_id": "MEMBER"}),
])
def test_members_cannot_use_the_hosts_events(open_room, connect, event, payload):
    ann, bea = connect(make_member()), connect(make_member())
    message_id = bea.say("mine")["message"]["id"]
    payload = {key: {"MESSAGE": message_id, "MEMBER": bea.user.id}.get(value, value)
               for key, value in payload.items()}

    refused = ann.ask(event, payload)

    assert refused == {"ok": False, "error": "Only the café's hosts can do that."}
    assert bea.connected and bea.say("still here")["ok"]
    session = db.session.get(CafeSession, open_room)
    assert session.topic == "" and session.slow_mode_seconds == 0
    assert db.session.get(CafeMessage, message_id).state == "visible"


def test_a_host_pins_a_topic_for_everyone(open_room, connect):
    hazel, ann = connect(host()), connect(make_member())
    ann.received()
    assert hazel.ask("set_topic", {"topic": "  Coping with\x00 winter  "}) == {"ok": True}
    assert ann.received("topic") == [{"topic": "Coping with winter"}]
    assert not hazel.ask("set_topic", {"topic": "x" * (services.TOPIC_MAX + 1)})["ok"]


# Hostile input ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("event", ["send", "catch_up", "take_a_break", "react", "set_topic", "set_slow_mode",
                                   "delete_message", "mute", "unmute", "remove"])
def test_payloads_that_are_not_objects_are_answered_kindly(open_room, connect, event):
    hazel = connect(host())
    for payload in ("hello", ["a", "list"], 42, None, True):
        answer = hazel.ask(event, payload)
        assert isinstance(answer, dict) and answer["ok"] in (True, False), (payload, answer)
        if not answer["ok"]:
            assert isinstance(answer["error"], str) and answer["error"]
    answer = hazel.ask(event)  # no payload at all
    assert isinstance(answer, dict)
    answer = hazel.ask(event, {"body": "a"}, {"extra": "argument"})
    assert isinstance(answer, dict)
    assert hazel.connected


def test_oversized_and_odd_bodies_are_refused_kindly(open_room, connect):
    ann = connect(make_member())
    too_long = ann.say("x" * (services.BODY_MAX + 1))
    assert not too_long["ok"] and f"up to {services.BODY_MAX} characters" in too_long["error"]
    huge = ann.say("y" * 20_000)
    assert not huge["ok"]
    for body in ("", "   \n\t ", "\x00\x00", None, 123, ["words"], {"nested": "dict"}):
        answer = ann.say(body)
        assert answer == {"ok": False, "error": "Please write a message first."}, body
    assert ann.say("exactly at the limit" + "z" * (services.BODY_MAX - 20))["ok"]
    saved = ann.say("no\x00 nul bytes", token="bad\x00token")
    assert saved["ok"] and saved["message"]["body"] == "no nul bytes"
    assert ann.connected


def test_ids_from_other_sessions_and_nonsense_ids_are_refused(app, open_room, connect):
    now = utcnow()
    earlier = CafeSession(starts_at=now - timedelta(days=7), ends_at=now - timedelta(days=7) + timedelta(hours=2),
                          local_date=schedule.london_today(now - timedelta(days=7)), extra=True)
    db.session.add(earlier)
    db.session.flush()
    author = make_member()
    other = CafeMessage(session_id=earlier.id, author_id=author.id, body="from last week", created_at=now,
                        changed_at=now)
    db.session.add(other)
    db.session.commit()
    other_id = other.id

    hazel, ann, bea, cy = connect(host()), connect(make_member()), connect(make_member()), connect(make_member())
    reply = ann.say("replying across sessions", reply_to=other_id)
    assert not reply["ok"] and "replying to is no longer there" in reply["error"]
    assert not ann.ask("react", {"message_id": other_id, "kind": "heart"})["ok"]
    assert not hazel.ask("delete_message", {"message_id": other_id})["ok"]
    assert db.session.get(CafeMessage, other_id).state == "visible"
    assert other_id not in [message["id"] for message in ann.ask("catch_up", {"after": 0})["messages"]]

    nonsense_ids = (-1, 0, "abc", 10**30, 2**31, [1], {"id": 1}, float("inf"), float("nan"), "1;--")
    for number, nonsense in enumerate(nonsense_ids):
        assert not ann.ask("react", {"message_id": nonsense, "kind": "heart"})["ok"], nonsense
        assert not hazel.ask("delete_message", {"message_id": nonsense})["ok"], nonsense
        assert not hazel.ask("mute", {"member_id": nonsense})["ok"], nonsense
        assert bea.ask("catch_up", {"after": nonsense, "since": nonsense})["ok"], nonsense
        sent = cy.say("still fine", reply_to=nonsense, token=f"nonsense-token-{number}")
        assert isinstance(sent, dict) and (sent["ok"] or sent["error"]), nonsense
    assert all(person.connected for person in (hazel, ann, bea, cy))
    assert db.session.get(CafeMessage, other_id).state == "visible"


def test_too_many_events_are_refused_not_crashed(open_room, connect):
    # With the real limit; tests/cafe/test_event_limits.py lowers it to check each kind of event.
    from community.cafe.events import SLOW_DOWN

    ann = connect(make_member())
    answers = [ann.ask("catch_up", {"after": 0}) for _ in range(32)]
    assert all(answer["ok"] for answer in answers[:30])
    assert answers[-1] == {"ok": False, "error": SLOW_DOWN} and ann.connected


def test_one_member_cannot_hold_more_than_five_sockets_open(app, open_room, connect):
    member = make_member()
    first = connect(member)
    others = [connect(member, web=first.web, log_in=False) for _ in range(services.SOCKETS_PER_MEMBER - 1)]
    assert first.connected and all(person.connected for person in others)
    one_too_many = connect(member, web=first.web, log_in=False)
    assert not one_too_many.connected


def test_a_host_joining_later_is_told_who_is_muted(app, open_room, connect):
    host, member = make_user(role="moderator"), make_member()
    first_host = connect(host)
    connect(member)
    assert first_host.ask("mute", {"member_id": member.id})["ok"]
    second_host = connect(make_user(role="moderator"))
    state = second_host.received("state")[0]
    assert state["muted_members"] == [member.id]
    assert connect(make_member()).received("state")[0]["muted_members"] == []
