"""The café room's pages over HTTP (community/cafe/room.py): who may open it, what it shows when closed and when
open (this session's messages, escaped), and the plain form that sends a message without scripts: saved once per
token, the words kept on a refusal, crisis wording answered with the help panel, and the page's own CSP."""

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from community.cafe import schedule, services
from community.cafe.models import CafeMessage, CafeSession
from community.extensions import db, utcnow
from tests.conftest import csrf_token_from
from tests.factories import make_member, make_user


def open_room_now() -> CafeSession:
    """An extra session around now (a row, so it works at any hour of the London day)."""
    now = utcnow()
    row = CafeSession(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2),
                      local_date=schedule.london_today(now), extra=True, host_name="")
    db.session.add(row)
    db.session.commit()
    return row


def post_message(client, body: str, token: str = "tok-abcdefgh1", **extra):
    page = client.get("/cafe/room")
    return client.post("/cafe/room/messages",
                       data={"body": body, "token": token, "csrf_token": csrf_token_from(page.text), **extra})


def bodies(session) -> list[str]:
    return list(db.session.scalars(db.select(CafeMessage.body).where(CafeMessage.session_id == session.id)
                                   .order_by(CafeMessage.id)))


def test_anonymous_visitors_are_sent_to_the_membership_page(client):
    response = client.get("/cafe/room")
    assert response.status_code == 302
    assert response.location.startswith("/membership")


def test_registered_non_members_are_refused_like_other_member_pages(client, login):
    open_room_now()
    login(make_user())
    response = client.get("/cafe/room")
    assert response.status_code == 302
    assert response.location.startswith("/membership")
    refused = client.post("/cafe/room/messages", data={"body": "hello", "token": "tok-abcdefgh1"})
    assert refused.status_code in (302, 400)
    assert CafeMessage.query.count() == 0


def test_a_member_outside_the_hours_is_told_kindly_when_the_room_next_opens(client, login):
    login(make_member())
    response = client.get("/cafe/room")
    assert response.status_code == 200
    assert "The café room is closed just now." in response.text
    cafe = schedule.next_cafe()
    assert f"The next café starts on {cafe.starts_at.astimezone(schedule.LONDON):%-d %B %Y at %H:%M}" in response.text
    assert 'href="/cafe"' in response.text
    # Nothing live is offered, and the page keeps the strict policy.
    assert "cafe.js" not in response.text
    assert "connect-src" not in response.headers["Content-Security-Policy"]


def test_the_time_the_room_opens_is_shown_in_the_members_own_time_zone(client, login):
    member = make_member()
    member.time_zone = "America/New_York"
    db.session.commit()
    login(member)
    cafe = schedule.next_cafe()
    response = client.get("/cafe/room")
    assert f"{cafe.starts_at.astimezone(ZoneInfo('America/New_York')):%-d %B %Y at %H:%M}" in response.text


def test_the_open_room_shows_this_sessions_messages_escaped(client, login):
    session = open_room_now()
    writer = make_member(display_name="Sam <b>")
    services.send(writer, session, 'Hello <script>alert("x")</script>\nsecond line', token="tok-writer-1")
    services.set_topic(make_user(role="moderator"), session, "Sleep tips <i>")
    login(make_member(display_name="Alex"))
    response = client.get("/cafe/room")
    assert response.status_code == 200
    html = response.text
    assert "<script>alert" not in html
    assert "Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;\nsecond line" in html
    assert "Sam &lt;b&gt;" in html and "Sam <b>" not in html
    assert "Sleep tips &lt;i&gt;" in html
    message_id = CafeMessage.query.one().id
    assert f'id="m-{message_id}"' in html
    assert re.search(r'<time datetime="[^"]+">\d\d:\d\d</time>', html)
    # A plain link to report it, and a reply link that works without scripts.
    assert f'href="/moderation/flag/cafe_message/{message_id}"' in html
    assert f'href="?reply_to={message_id}#composer"' in html
    # The fallback form, with its CSRF token and a token of its own; the scripts load from our own origin.
    assert 'action="/cafe/room/messages"' in html and 'name="token"' in html
    assert re.search(r'<script src="/static/vendor/socket\.io-4\.8\.4\.min\.[0-9a-f]{12}\.js" defer></script>', html)
    assert re.search(r'<script src="/static/js/cafe\.[0-9a-f]{12}\.js" defer></script>', html)
    assert 'aria-live="polite"' in html


def test_the_room_page_widens_the_policy_only_for_its_own_scripts_and_connection(client, login):
    open_room_now()
    login(make_member())
    policy = client.get("/cafe/room").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["connect-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    other = client.get("/account").headers["Content-Security-Policy"]
    assert "connect-src" not in other and "script-src" not in other


def test_the_room_page_has_no_inline_script_or_style(client, login):
    session = open_room_now()
    services.send(make_member(), session, "hello", token="tok-other-01")
    login(make_member())
    html = client.get("/cafe/room").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)


def test_the_plain_form_saves_a_message_once_however_often_it_is_sent(client, login):
    session = open_room_now()
    login(make_member())
    first = post_message(client, "Hello everyone", token="tok-double-1")
    assert first.status_code == 302
    assert first.location.endswith("/cafe/room#latest")
    again = post_message(client, "Hello everyone", token="tok-double-1")
    assert again.status_code == 302
    assert bodies(session) == ["Hello everyone"]
    assert "Hello everyone" in client.get("/cafe/room").text


def test_the_plain_form_can_reply_to_a_message(client, login):
    session = open_room_now()
    sent = services.send(make_member(display_name="Sam"), session, "Anyone tried caffeine?", token="tok-first-1")
    login(make_member())
    page = client.get(f"/cafe/room?reply_to={sent.message['id']}")
    assert "Replying to <strong id=\"cafe-replying-name\">Sam</strong>" in page.text
    response = post_message(client, "Yes, it helped a bit", reply_to=str(sent.message["id"]))
    assert response.status_code == 302
    reply = CafeMessage.query.filter_by(body="Yes, it helped a bit").one()
    assert reply.reply_to_id == sent.message["id"]


def test_a_message_too_long_comes_back_with_the_words_kept(client, login):
    session = open_room_now()
    login(make_member())
    words = "Lying flat all day. " * 60
    response = post_message(client, words)
    assert response.status_code == 200
    assert response.text.count("There is a problem") == 1
    assert "<title>Error: " in response.text
    assert "Messages can be up to 1000 characters" in response.text
    assert words.strip() in response.text
    assert 'aria-invalid="true"' in response.text
    assert bodies(session) == []


def test_slow_mode_refuses_a_second_message_and_keeps_its_words(client, login):
    session = open_room_now()
    services.set_slow_mode(make_user(role="moderator"), session, 60)
    login(make_member())
    assert post_message(client, "First thought", token="tok-slow-001").status_code == 302
    response = post_message(client, "Second thought, too soon", token="tok-slow-002")
    assert response.status_code == 200
    assert "Slow mode is on" in response.text
    assert "Second thought, too soon</textarea>" in response.text
    # The same token comes back in the form, so sending it again later is still one message.
    assert 'name="token" value="tok-slow-002"' in response.text
    assert bodies(session) == ["First thought"]


def test_an_empty_message_is_refused_kindly(client, login):
    open_room_now()
    login(make_member())
    response = post_message(client, "   ")
    assert response.status_code == 200
    assert "Please write a message first." in response.text


def test_crisis_wording_is_sent_and_shows_the_writer_the_help_panel(client, login):
    session = open_room_now()
    login(make_member())
    response = post_message(client, "I want to die", token="tok-crisis-1")
    assert response.status_code == 302
    assert response.location.endswith("/cafe/room#help-now")
    assert len(bodies(session)) == 1
    page = client.get("/cafe/room")
    assert 'id="help-now"' in page.text
    assert page.text.count('id="help-now"') == 1
    assert "Samaritans" in page.text
    # The panel is shown, not the hidden one the script reveals.
    assert 'id="cafe-help" hidden' not in page.text


def test_the_help_panel_waits_hidden_for_the_script_on_an_ordinary_visit(client, login):
    open_room_now()
    login(make_member())
    html = client.get("/cafe/room").text
    assert '<div id="cafe-help" hidden>' in html
    assert html.count('id="help-now"') == 1


def test_a_message_sent_after_the_room_closed_is_given_back(client, login):
    session = open_room_now()
    login(make_member())
    page = client.get("/cafe/room")
    session.ends_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post("/cafe/room/messages", data={"body": "Are you still there?", "token": "tok-late-001",
                                                         "csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 200
    assert "Your message was not sent" in response.text
    assert "Are you still there?" in response.text
    assert bodies(session) == []


def test_a_member_removed_by_a_host_is_told_so(client, login):
    session = open_room_now()
    member = make_member()
    services.restrict(make_user(role="moderator"), session, member.id, "removed")
    login(member)
    response = client.get("/cafe/room")
    assert response.status_code == 403
    assert services.REMOVED in response.text
    assert "cafe.js" not in response.text


def test_a_muted_member_reads_along_without_the_form(client, login):
    session = open_room_now()
    member = make_member()
    services.restrict(make_user(role="moderator"), session, member.id, "muted")
    login(member)
    html = client.get("/cafe/room").text
    assert "A host has paused your messages" in html
    assert '<form id="cafe-form" method="post" action="/cafe/room/messages" novalidate hidden>' in html
    response = post_message(client, "Can I still talk?")
    assert response.status_code == 200
    assert services.MUTED in response.text
    assert "Can I still talk?" in response.text
    assert bodies(session) == []


def test_taking_a_break_with_the_plain_form_says_so_once(client, login):
    session = open_room_now()
    login(make_member(display_name="Robin"))
    page = client.get("/cafe/room")
    token = re.search(r'id="cafe-break-token" name="token" value="([^"]+)"', page.text).group(1)
    for _ in range(2):
        response = client.post("/cafe/room/break", data={"token": token, "csrf_token": csrf_token_from(page.text)})
        assert response.status_code == 302
    assert bodies(session) == [services.BREAK_TEXT]
    assert "Robin</strong> is taking a break" in client.get("/cafe/room").text


def test_hosts_get_their_tools_and_others_do_not(client, login):
    open_room_now()
    login(make_user(role="moderator"))
    host_page = client.get("/cafe/room").text
    assert "Host tools" in host_page and 'id="cafe-slow"' in host_page
    client.post("/logout", data={"csrf_token": csrf_token_from(host_page)})
    login(make_member())
    assert "Host tools" not in client.get("/cafe/room").text


def test_the_room_page_stays_within_its_budget_with_a_busy_session(client, login, app):
    session = open_room_now()
    writers = [make_member(display_name=f"Member number {n}") for n in range(5)]
    for n in range(90):
        db.session.add(CafeMessage(session_id=session.id, author_id=writers[n % 5].id,
                                   body=f"A message of an ordinary length, number {n}, about resting flat.",
                                   created_at=utcnow(), changed_at=utcnow()))
    db.session.commit()
    login(make_member())
    response = client.get("/cafe/room")
    static = Path(app.static_folder)
    scripts = sum((static / name).stat().st_size
                  for name in ("css/site.css", "css/cafe.css", "js/cafe.js", "vendor/socket.io-4.8.4.min.js"))
    assert len(response.data) + scripts <= 120 * 1024, (len(response.data), scripts)
    # The latest messages are on the page; the earlier ones are a link away (the live script fetches them all).
    assert "number 89," in response.text and "number 64," not in response.text
    assert "Show the 65 earlier messages" in response.text
    everything = client.get("/cafe/room?all=1").text
    assert "number 0," in everything and "number 89," in everything


def test_the_open_room_uses_each_id_once_for_a_host_and_a_member(client, login):
    from tests.core.test_unique_ids import duplicate_ids

    session = open_room_now()
    writer = make_member(display_name="Sam")
    first = services.send(writer, session, "First", token="tok-ids-0001")
    services.send(make_member(), session, "A reply", token="tok-ids-0002", reply_to=first.message["id"])
    services.take_a_break(writer, session, token="tok-ids-0003")
    login(make_user(role="moderator"))
    host_page = client.get("/cafe/room").text
    assert not duplicate_ids(host_page)
    client.post("/logout", data={"csrf_token": csrf_token_from(host_page)})
    login(make_member())
    # After a refused send too (the error summary and the field's error).
    response = post_message(client, "")
    assert "There is a problem" in response.text
    assert not duplicate_ids(response.text)


def test_the_room_follows_changes_made_by_another_server_process_at_once(client, login):
    # Each process keeps which café is open; the changes below are made straight in the database, as another
    # process would make them, without clearing this process's copy.
    login(make_member())
    assert "The café room is closed just now." in client.get("/cafe/room").text
    session = open_room_now()
    assert "Chat with other members, live." in client.get("/cafe/room").text
    session.topic = "Resting after a patch"
    db.session.commit()
    assert "Topic: <strong id=\"cafe-topic\">Resting after a patch</strong>" in client.get("/cafe/room").text
    session.cancelled = True
    db.session.commit()
    assert "The café room is closed just now." in client.get("/cafe/room").text


def test_the_page_shows_each_messages_reactions_as_counts_without_scripts(client, login):
    session = open_room_now()
    sent = services.send(make_member(display_name="Sam"), session, "Hello, all", token="tok-react-001")
    message_id = sent.message["id"]
    for kind, people in (("hug", 2), ("heart", 1)):
        for _ in range(people):
            services.react(make_member(), session, message_id, kind)
    login(make_member())
    html = client.get("/cafe/room").text
    # In the room's order of reactions, not the order given.
    assert '<p class="cafe-reaction-counts">Sending love 1 · Hug 2' in html
    assert f'<li><a href="/moderation/flag/cafe_message/{message_id}" aria-describedby="m-{message_id}-by">Report</a>' \
        in html
