"""The room page works out each message once, in Python (services.RoomMessage), from statements built once a
process with the session and the reader as bound parameters: every reader must still see what the rules say (a
held message only by its writer and the hosts), the same words the live script is told, in their own time zone,
and a change on the very next view."""

from datetime import datetime
from zoneinfo import ZoneInfo

from community.cafe import services
from community.extensions import utcnow
from community.moderation import services as moderation
from tests.cafe.test_room_pages import open_room_now
from tests.factories import make_member, make_user


def item(page: str, message_id: int) -> str:
    """The HTML of one message of the room page (its list item, up to the next one)."""
    start = page.index(f'<li id="m-{message_id}"')
    end = min(position for position in (page.find("<li id=\"m-", start + 1), page.find("</ol>", start))
              if position != -1)
    return page[start:end]


def test_a_held_message_is_drawn_only_for_its_writer_and_the_hosts_whoever_reads_first(app, login):
    session = open_room_now()
    moderation.add_watched_word(make_user(role="admin"), "miracle cure", "hold")
    writer = make_member(display_name="Sam")
    held = services.send(writer, session, "Try this miracle cure", token="tok-held-0001").message
    hello = services.send(make_member(), session, "Hello", token="tok-held-0002").message
    assert held["state"] == "pending"
    # One statement serves every reader in turn, in one process: the reader is a bound parameter.
    for reader, sees in ((writer, True), (make_member(), False), (make_user(role="moderator"), True),
                         (make_member(), False), (writer, True)):
        web = app.test_client()
        assert login(reader, the_client=web).status_code == 302
        page = web.get("/cafe/room").text
        assert (f'id="m-{held["id"]}"' in page) is sees
        assert f'id="m-{hello["id"]}"' in page
    mine = item(page, held["id"])
    assert "Only you and the hosts can see this" in mine and "Reply" not in mine and "Report" not in mine


def test_the_page_says_of_each_message_what_the_live_script_is_told(app):
    session = open_room_now()
    host = make_user(role="moderator", display_name="Hana")
    sam, kim = make_member(display_name="Sam <b>"), make_member(display_name="Kim")
    first = services.send(sam, session, "A long first message " + "x" * 100, token="tok-same-0001").message
    services.send(kim, session, "Replying", token="tok-same-0002", reply_to=first["id"])
    services.react(kim, session, first["id"], "hug")
    services.react(host, session, first["id"], "heart")
    services.take_a_break(kim, session, token="tok-same-0003")
    gone = services.send(kim, session, "Soon removed", token="tok-same-0004").message
    services.send(sam, session, "Replying to the removed one", token="tok-same-0005", reply_to=gone["id"])
    services.delete_message(host, session, gone["id"])
    reader = make_member()
    told = services.messages_since(reader, session)
    room = services.room_page(reader, session, None, "Asia/Kolkata")
    assert len(room.messages) == len(told) == 5 and room.earlier == 0
    for drawn, message in zip(room.messages, told, strict=True):
        assert (drawn.id, drawn.kind, drawn.state, drawn.author, drawn.author_id, drawn.body, drawn.removed) == (
            message["id"], message["kind"], message["state"], message["author"], message["author_id"],
            message["body"], message["removed"])
        assert (drawn.reply_to._asdict() if drawn.reply_to else None) == message["reply_to"]
        moment = datetime.fromisoformat(message["at"])
        assert drawn.at == moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert drawn.clock == moment.astimezone(ZoneInfo("Asia/Kolkata")).strftime("%H:%M")
    assert room.messages[0].reaction_counts == "Sending love 1 · Hug 1"
    assert room.messages[1].reply_to.excerpt == first["body"][:80]
    assert room.messages[3].gone and room.messages[3].removed == "Removed by a host."
    assert room.messages[4].reply_to.excerpt == ""
    assert room.ends_clock == session.ends_at.astimezone(ZoneInfo("Asia/Kolkata")).strftime("%H:%M")


def test_the_latest_messages_are_drawn_and_a_reply_only_to_a_message_shown_to_everyone(app):
    session = open_room_now()
    moderation.add_watched_word(make_user(role="admin"), "miracle cure", "hold")
    reader = make_member()
    ids = [services.send(make_member(), session, f"Message {n}", token=f"tok-late-{n:04}").message["id"]
           for n in range(5)]
    held = services.send(reader, session, "My miracle cure", token="tok-late-held").message["id"]
    room = services.room_page(reader, session, None, "Europe/London", latest=2, reply_to=ids[0])
    assert [message.id for message in room.messages] == [ids[-1], held] and room.earlier == 4
    assert room.replying.id == ids[0] and room.replying.body == "Message 0"
    services.delete_message(make_user(role="moderator"), session, ids[1])
    for not_to_answer in (ids[1], held, 10**6):
        assert services.room_page(reader, session, None, "Europe/London", reply_to=not_to_answer).replying is None
    assert [message.id for message in services.room_page(reader, session, "muted", "Europe/London").messages] == [
        *ids, held]


def test_each_message_offers_the_reader_only_what_they_may_do(client, login):
    session = open_room_now()
    reader, other = make_member(display_name="Reader"), make_member(display_name="Other")
    mine = services.send(reader, session, "Mine", token="tok-tool-0001").message["id"]
    theirs = services.send(other, session, "Theirs", token="tok-tool-0002").message["id"]
    their_break = services.take_a_break(other, session, token="tok-tool-0003").message["id"]
    my_break = services.take_a_break(reader, session, token="tok-tool-0004").message["id"]
    login(reader)
    page = client.get("/cafe/room").text
    assert 'Reply</a>' in item(page, mine) and "Report" not in item(page, mine)
    assert 'Reply</a>' in item(page, theirs) and "Report</a>" in item(page, theirs)
    assert f'<li id="m-{their_break}" class="cafe-break">' in page
    assert "Reply" not in item(page, their_break) and "Report</a>" in item(page, their_break)
    assert "<ul" not in item(page, my_break)
    assert "<strong>Other</strong> is taking a break and will be back soon. <time" in item(page, their_break)


def test_a_change_shows_on_the_next_view_and_in_the_catch_up(client, login):
    session = open_room_now()
    host = make_user(role="moderator")
    sent = services.send(make_member(display_name="Sam"), session, "Hello, all", token="tok-next-0001").message
    login(make_member())
    assert '<p class="cafe-body">Hello, all' in item(client.get("/cafe/room").text, sent["id"])
    before = utcnow()
    services.react(host, session, sent["id"], "thanks")
    assert '<p class="cafe-reaction-counts">Thank you 1' in item(client.get("/cafe/room").text, sent["id"])
    services.delete_message(host, session, sent["id"])
    drawn = item(client.get("/cafe/room").text, sent["id"])
    assert 'class=" cafe-gone"' in drawn and "Removed by a host." in drawn and "Hello, all" not in drawn
    assert "cafe-reaction-counts" not in drawn and "Reply" not in drawn
    # A client holding every message up to this one hears of the deletion when it catches up.
    caught_up = services.messages_since(host, session, sent["id"], before)
    assert [(message["id"], message["state"]) for message in caught_up] == [(sent["id"], "deleted")]


def test_the_latest_window_counts_only_what_the_reader_may_see_before_it(app):
    """The room page reads only the messages it shows; "Show the N earlier messages" still counts exactly the
    earlier ones this reader may see: others' held messages not for a member, all of them for a host."""
    session = open_room_now()
    moderation.add_watched_word(make_user(role="admin"), "miracle cure", "hold")
    reader, host = make_member(), make_user(role="moderator")
    ids = []
    for n in range(8):
        words = f"Message {n}" + (" about a miracle cure" if n in (1, 6) else "")
        ids.append(services.send(make_member(), session, words, token=f"tok-window-{n:04}").message["id"])
    services.delete_message(host, session, ids[2])  # removed: still in its place for everyone, as a note
    mine = services.send(reader, session, "My own miracle cure", token="tok-window-mine").message["id"]

    room = services.room_page(reader, session, None, "Europe/London", latest=3)
    assert [message.id for message in room.messages] == [ids[5], ids[7], mine]
    assert room.earlier == 4  # messages 0, 2 (removed), 3 and 4; not 1 or 6, held for their writers
    assert room.messages[-1].state == "pending" and room.messages[-1].mine
    hosts_room = services.room_page(host, session, None, "Europe/London", latest=3)
    assert [message.id for message in hosts_room.messages] == [ids[6], ids[7], mine] and hosts_room.earlier == 6
    whole = services.room_page(reader, session, None, "Europe/London", latest=50)
    assert whole.earlier == 0 and [message.id for message in whole.messages] == [
        ids[0], ids[2], ids[3], ids[4], ids[5], ids[7], mine]
    assert services.room_page(reader, session, None, "Europe/London", latest=3, reply_to=ids[2]).replying is None
    assert services.room_page(reader, session, None, "Europe/London", latest=3, reply_to=ids[1]).replying is None
    assert services.room_page(reader, session, None, "Europe/London", latest=3,
                              reply_to=ids[3]).replying.body == "Message 3"
