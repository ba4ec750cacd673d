"""Notification emails: at once, as a daily digest (sent once, even when run twice), or not at all; each with a
one-click unsubscribe that works without logging in, for its own person only."""

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community.extensions import db, utcnow
from community.notifications import services
from community.notifications.models import Notification
from tests.conftest import fresh_schema, make_test_app, path_of, submit
from tests.core.test_mail import smtp_server  # noqa: F401  (fixture)
from tests.factories import make_member
from tests.notifications.helpers import make_category, member, reply, start_thread, watches


def tell(user, text="Sam replied in “Blood patches”", url="/forums/p/1"):
    return services.notify(user.id, "reply", None, text, url)


def sent_to(outbox, person) -> list:
    """Notification emails to the person (not the welcome email that comes with a new membership)."""
    return [message for message in outbox.to(person.email) if message["List-Unsubscribe"]]


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def unsubscribe_path(message) -> str:
    return path_of(next(link for link in message["List-Unsubscribe"].strip("<>").split()
                        if "/notifications/unsubscribe/" in link))


# At once ----------------------------------------------------------------------------------------------------

def test_a_member_who_chose_at_once_gets_one_email_per_notification(app, outbox):
    person = make_member()
    services.set_email_mode(person.id, "instant")
    note = tell(person)
    [message] = sent_to(outbox, person)
    assert message["Subject"] == "Sam replied in “Blood patches”"
    body = body_of(message)
    assert f"/notifications/{note.id}/open" in body
    assert "/notifications/unsubscribe/" in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:5000/notifications/unsubscribe/")
    db.session.refresh(note)
    assert note.emailed_at is not None
    # Asked again (a retry), nothing is sent twice.
    assert services.send_instant_emails([note.id]) == 0
    assert len(sent_to(outbox, person)) == 1


def test_the_unsubscribe_header_is_sent_whole_and_names_no_address(app, outbox):
    person = make_member()
    tell(person)
    services.send_daily_digest(utcnow())
    [raw] = [path.read_bytes() for path in outbox.directory.glob("*notification_digest*.eml")]
    header = next(line for line in raw.splitlines() if line.startswith(b"List-Unsubscribe:"))
    assert header.startswith(b"List-Unsubscribe: <http://127.0.0.1:5000/notifications/unsubscribe/")
    assert header.endswith(b">")
    token = header.split(b"/unsubscribe/")[1].rstrip(b">").split(b".")[0]
    assert person.email.encode() not in base64.urlsafe_b64decode(token + b"=" * (-len(token) % 4))


def test_a_reply_emails_the_watcher_at_once_after_the_page_answers(app, client, login, outbox):
    category = make_category()
    jo, sam = member("Jo"), member("Sam")
    services.set_email_mode(jo.id, "instant")
    first = start_thread(jo, category)
    login(sam)
    response = submit(client, f"/forums/t/{first.thread_id}/reply", {"body": "Mine went well.", "action": "post"})
    assert response.status_code == 302
    [message] = sent_to(outbox, jo)
    assert message["Subject"] == "Sam replied in “Blood patches”"
    # The post's words stay on the site: the email only says what happened and links to it.
    assert "Mine went well" not in body_of(message)


@pytest.mark.parametrize("mode", ["daily", "off"])
def test_nobody_else_is_emailed_at_once(app, outbox, mode):
    person = make_member()
    services.set_email_mode(person.id, mode)
    tell(person)
    assert sent_to(outbox, person) == []


def test_off_sends_nothing_at_once_or_in_the_digest(app, outbox):
    person = make_member()
    services.set_email_mode(person.id, "off")
    tell(person)
    assert services.send_daily_digest(utcnow()) == 0
    assert sent_to(outbox, person) == []


# The daily digest ------------------------------------------------------------------------------------------

def test_the_digest_sends_each_daily_member_one_email_once(app, outbox):
    daily, chosen_daily, instant = make_member(), make_member(), make_member()
    services.set_email_mode(chosen_daily.id, "daily")
    services.set_email_mode(instant.id, "instant")
    tell(daily, "Sam replied in “Blood patches”")
    tell(daily, "Kim mentioned you in “Sleep”")
    tell(chosen_daily)
    tell(instant)
    assert len(sent_to(outbox, instant)) == 1  # its own email, at once, and not again in a digest

    assert services.send_daily_digest(utcnow()) == 2
    [message] = sent_to(outbox, daily)
    assert message["Subject"] == "2 new things for you on Target CSF Leaks"
    body = body_of(message)
    assert body.index("Sam replied") < body.index("Kim mentioned")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len(sent_to(outbox, chosen_daily)) == 1
    assert len(sent_to(outbox, instant)) == 1

    # The next run (cron twice, or tomorrow with nothing new) sends nothing.
    assert services.send_daily_digest(utcnow()) == 0
    assert sum(len(sent_to(outbox, each)) for each in (daily, chosen_daily, instant)) == 3


def test_the_digest_leaves_out_what_was_read_or_is_old_and_skips_people_with_nothing_new(app, outbox):
    reader, away, quiet = make_member(), make_member(), make_member()
    services.mark_read(reader, [tell(reader, "Already read").id])
    old = tell(away, "From last week")
    db.session.execute(update(Notification).where(Notification.id == old.id)
                       .values(created_at=utcnow() - timedelta(days=7)))
    db.session.commit()
    tell(away, "From today")
    assert services.send_daily_digest(utcnow()) == 1
    assert sent_to(outbox, reader) == [] and sent_to(outbox, quiet) == []
    body = body_of(sent_to(outbox, away)[0])
    assert "From today" in body and "From last week" not in body


def test_a_failed_digest_is_given_back_for_the_next_run(app, outbox, monkeypatch):
    person = make_member()
    note = tell(person)
    monkeypatch.setattr(services, "send_email", lambda *args, **kwargs: False)
    assert services.send_daily_digest(utcnow()) == 0
    db.session.refresh(note)
    assert note.emailed_at is None
    monkeypatch.undo()
    assert services.send_daily_digest(utcnow()) == 1


def test_two_runs_at_once_send_each_notification_once(app, outbox, monkeypatch):
    """Each run claims a person's notifications with a conditional UPDATE: a second claim finds none left."""
    person = make_member()
    tell(person)
    listed_before_the_first_run_claimed = services._daily_people(utcnow() - services.DIGEST_LOOKBACK)
    assert services.send_daily_digest(utcnow()) == 1
    monkeypatch.setattr(services, "_daily_people", lambda since: listed_before_the_first_run_claimed)
    assert services.send_daily_digest(utcnow()) == 0
    assert len(sent_to(outbox, person)) == 1


def test_flask_forums_digest_says_how_many_were_sent(app, runner, outbox):
    tell(make_member())
    tell(make_member())
    result = runner.invoke(args=["forums", "digest"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 digest email(s)." in result.output
    result = runner.invoke(args=["forums", "digest"])
    assert "Sent 0 digest email(s)." in result.output


# Unsubscribing ----------------------------------------------------------------------------------------------

def test_the_unsubscribe_link_works_without_logging_in(app, client, outbox):
    person = make_member()
    services.set_email_mode(person.id, "instant")
    tell(person)
    link = outbox.link_in(sent_to(outbox, person)[0], "/notifications/unsubscribe/")
    page = client.get(path_of(link))
    assert page.status_code == 200 and "Stop these emails" in page.text
    assert services.get_email_mode(person.id) == "instant"  # opening the page changes nothing
    # The page's own button: no CSRF token needed, the signed link is the proof.
    response = client.post(path_of(link))
    assert response.status_code == 200 and "We will not email you" in response.text
    assert services.get_email_mode(person.id) == "off"
    tell(person)
    assert len(sent_to(outbox, person)) == 1


def test_one_click_unsubscribe_from_the_mail_program(app, client, outbox):
    person = make_member()
    tell(person)
    services.send_daily_digest(utcnow())
    message = sent_to(outbox, person)[0]
    response = client.post(unsubscribe_path(message), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert services.get_email_mode(person.id) == "off"


def test_a_link_only_unsubscribes_its_own_person_and_a_tampered_one_is_refused(app, client):
    mine, theirs = make_member(), make_member()
    token = services.unsubscribe_token(mine)
    payload, signature = token.split(".")
    forged_for_them = services.unsubscribe_token(theirs).split(".")[0] + "." + signature
    for bad in (forged_for_them, payload + ".AAAA" + signature[4:], "not-a-token"):
        assert client.get(f"/notifications/unsubscribe/{bad}").status_code == 400
        assert client.post(f"/notifications/unsubscribe/{bad}").status_code == 400
    assert services.get_email_mode(mine.id) == services.get_email_mode(theirs.id) == "daily"
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 200
    assert services.get_email_mode(mine.id) == "off"
    assert services.get_email_mode(theirs.id) == "daily"


def test_a_link_sent_to_an_old_address_no_longer_works(app, client):
    person = make_member()
    token = services.unsubscribe_token(person)
    person.email = "new-address@example.org"
    db.session.commit()
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 400
    assert services.get_email_mode(person.id) == "daily"


def test_watched_thread_email_after_a_reply_reaches_only_people_who_may_see_it(app, outbox):
    """A watcher who has lost access (membership lapsed) gets neither the notification nor its email."""
    category = make_category()
    jo, sam = member("Jo"), member("Sam")
    first = start_thread(jo, category)
    services.set_email_mode(jo.id, "instant")
    jo.membership.status = "canceled"
    jo.membership.current_period_end = utcnow() - timedelta(days=1)
    db.session.commit()
    reply(sam, first.thread, "Anyone there?")
    assert sent_to(outbox, jo) == []
    assert db.session.scalar(select(db.func.count()).select_from(Notification)) == 0
    assert watches(jo, first.thread_id)  # the watch stays, for when they rejoin


def test_the_one_click_headers_arrive_over_smtp(database_url, tmp_path, request):
    controller, handler = request.getfixturevalue("smtp_server")
    app = make_test_app(database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                        MAIL_USE_TLS=False, SITE_URL="https://community.example.org")
    with fresh_schema(app):
        person = make_member()
        services.set_email_mode(person.id, "instant")
        tell(person)
    [(recipients, message)] = [(to, message) for to, message in handler.messages if message["List-Unsubscribe"]]
    assert recipients == [person.email]
    assert message["List-Unsubscribe"].startswith("<https://community.example.org/notifications/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
