"""EXPLAIN every statement the main pages run, on a large PostgreSQL data set: which ones scan a big table row by
row (Seq Scan) and which ones are slow.

Run by hand, on a database seeded by bench/dataset.py (or any copy of real data):

    .venv/bin/python bench/explain.py postgresql+psycopg://postgres@127.0.0.1:5432/bench --with-history --plans
    .venv/bin/python bench/explain.py URL --save /tmp/before.json        # keep the timings ...
    .venv/bin/python bench/explain.py URL --compare /tmp/before.json     # ... and set today's beside them

It runs VACUUM ANALYZE (the statistics and visibility map autovacuum keeps on a live site), then requests each
page as the reader who would open it (anonymous; dataset.py's reader@bench.test or else the member with the most
notifications; a moderator; an admin; the longest thread, the busiest category, first and deep pages...) through
the Flask test client, recording every SQL statement (SQLAlchemy's `before_cursor_execute`). Each statement, as
each of the first VARIANTS pages that ran it had it, is run RUNS times under `EXPLAIN (ANALYZE, BUFFERS)` inside
a transaction that is rolled back (so an UPDATE explained changes nothing). It prints the median time, the 8 kB
blocks the plan read and the plan's scans, and flags a Seq Scan on a table of more than LARGE_ROWS rows (by the
planner's statistics: a seq scan of the seven categories is fine) and anything slower than SLOW_MS; the exit
status is 1 when anything is flagged. It writes to the database to log its readers in (a session row each), to
mark two-factor sign-in on for the staff it picks when they have none (admin pages ask for it) and, with
--with-history, to add HISTORY: use it on a bench copy, never on the live site.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LARGE_ROWS = 1000
SLOW_MS = 5.0
RUNS = 5
VARIANTS = 3  # parameter sets explained per statement (the same SQL on a first and a deep page, say)


@dataclass
class Variant:
    """One statement as one page ran it (the same SQL on a first and a deep page are two variants)."""

    sql: str
    page: str
    parameters: object
    median_ms: float = 0.0
    blocks: int = 0  # 8 kB pages read (from cache or disk): unlike time, the same on a busy machine
    scans: set = field(default_factory=set)
    seq_scans: set = field(default_factory=set)
    text_plan: str = ""

    @property
    def key(self) -> str:
        return f"{self.page}\n{self.sql}"

    @property
    def flags(self) -> list[str]:
        flags = [f"SEQ SCAN {name}" for name in sorted(self.seq_scans)]
        if self.median_ms > SLOW_MS:
            flags.append(f"SLOW (> {SLOW_MS:g} ms)")
        return flags


# What bench/dataset.py leaves out (notifications, the audit log and closed queue items, café history, diaries,
# log-ins, Stripe events), added by --with-history in bulk SQL: sizes a few years of a busy site would reach, and
# the reader (reader@bench.test, or the first member) given a heavy share, so their own lists are long too.
HISTORY = """
CREATE TEMP TABLE bench_people AS
  SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM "user" WHERE role = 'registered';
CREATE TEMP TABLE bench_reader AS
  SELECT coalesce((SELECT id FROM "user" WHERE email = 'reader@bench.test'), (SELECT id FROM bench_people
  WHERE n = 0)) AS id;
INSERT INTO notification (user_id, kind, text, url, created_at, read_at)
  SELECT CASE WHEN g % 20 = 0 THEN (SELECT id FROM bench_reader) ELSE p.id END, 'reply', 'Someone replied',
         '/forums/t/1', now() - g * interval '5 minutes', CASE WHEN g % 4 = 0 THEN NULL ELSE now() END
  FROM generate_series(1, 60000) g JOIN bench_people p ON p.n = g % (SELECT count(*) FROM bench_people);
INSERT INTO audit_entry (actor_id, action, target_type, target_id, subject_id, detail, reason, created_at,
                         actor_label, subject_label)
  SELECT (SELECT min(id) FROM "user" WHERE role = 'moderator'),
         (ARRAY['moderation.keep', 'moderation.hide', 'moderation.approve', 'moderation.warn',
                'role.change'])[1 + g % 5], (ARRAY['forum_post', 'user', 'story'])[1 + g % 3], g, p.id, '', '',
         now() - g * interval '30 minutes', '', ''
  FROM generate_series(1, 30000) g JOIN bench_people p ON p.n = (g * 7) % (SELECT count(*) FROM bench_people);
INSERT INTO moderation_item (kind, target_id, subject_id, reason, safety, note, status, opened_at, closed_at,
                             version, outcome)
  SELECT 'forum_post', p.id, p.author_id, 'flagged', false, '', 'closed', p.created_at, p.created_at, 2, 'kept'
  FROM post p WHERE p.id % 20 = 0;
INSERT INTO moderation_flag (item_id, flagger_id, reason, note, created_at)
  SELECT i.id, (SELECT id FROM bench_reader), 'spam', '', i.opened_at FROM moderation_item i
  WHERE i.status = 'closed' ON CONFLICT DO NOTHING;
INSERT INTO cafe_session (starts_at, ends_at, local_date, created_at, extra, cancelled, note, host_name, topic,
                          slow_mode_seconds, summary, summary_html)
  SELECT date_trunc('hour', now()) - g * interval '7 days', date_trunc('hour', now()) - g * interval '7 days'
         + interval '2 hours', (now() - g * interval '7 days')::date, now(), false, false, '', '', '', 0,
         'What we talked about', '<p>What we talked about</p>'
  FROM generate_series(1, 150) g;
INSERT INTO cafe_session (starts_at, ends_at, local_date, created_at, extra, cancelled, note, host_name, topic,
                          slow_mode_seconds, summary, summary_html)
  VALUES (now() - interval '75 minutes', now() + interval '45 minutes', current_date, now(), true, false,
          'Open now, for the bench', '', '', 0, '', '');
INSERT INTO cafe_message (session_id, author_id, kind, body, state, created_at, changed_at, hidden_reason)
  SELECT s.id, p.id, 'message', 'Hello from the café ' || m, 'visible', s.starts_at + m * interval '15 seconds',
         s.starts_at + m * interval '15 seconds', ''
  FROM cafe_session s CROSS JOIN generate_series(1, 300) m JOIN bench_people p ON p.n = m;
INSERT INTO diary_entry (owner_id, day, headache_upright, headache_lying, created_at, updated_at, symptoms,
                         other_symptoms, treatment, treatment_details, notes)
  SELECT p.id, current_date - d, 1 + (d * 7 + p.n) % 10, (d + p.n) % 4, now(), now(), 'neck_pain', '', '', '', ''
  FROM bench_people p CROSS JOIN generate_series(0, 59) d WHERE p.n < 500
  UNION ALL
  SELECT (SELECT id FROM bench_reader), current_date - d, 1 + d % 10, d % 4, now(), now(), '', '', '', '', ''
  FROM generate_series(0, 899) d;
INSERT INTO user_session (user_id, token_hash, remembered, created_at, last_seen_at, confirmed_at, device)
  SELECT p.id, md5('bench' || p.id) || md5('session' || p.id), true, now(), now(), now(), '' FROM bench_people p;
INSERT INTO stripe_event (id, type, result, detail, attempts, received_at, user_id)
  SELECT 'evt_bench_' || g, 'invoice.paid', 'processed', '', 1, now() - g * interval '1 hour', p.id
  FROM generate_series(1, 20000) g JOIN bench_people p ON p.n = g % (SELECT count(*) FROM bench_people);
UPDATE "user" u SET unread_notifications = (SELECT count(*) FROM notification n
                                            WHERE n.user_id = u.id AND n.read_at IS NULL);
"""


def add_history(connection) -> None:
    """Runs HISTORY once (a database with a long audit log already has it)."""
    if _one(connection, "SELECT count(*) FROM audit_entry") > LARGE_ROWS:
        print("The database already has a long audit log: --with-history adds nothing.")
        return
    connection.connection.driver_connection.execute(HISTORY)  # no parameters: its % are SQL's own


# Who reads what -----------------------------------------------------------------------------------------------

def _one(connection, sql: str, **params):
    from sqlalchemy import text

    return connection.execute(text(sql), params).scalar()


def pick_targets(connection) -> dict:
    """Ids worth requesting, from the data itself (None where the data has none)."""
    reader = _one(connection, "SELECT id FROM \"user\" WHERE email = 'reader@bench.test'")  # bench/dataset.py's
    access = ("JOIN membership m ON m.user_id = u.id AND m.status IN ('active', 'trialing', 'past_due') "
              "WHERE u.role = 'registered' AND u.restriction IS NULL")
    return {
        "member": reader or _one(connection, f"SELECT u.id FROM \"user\" u {access} ORDER BY (SELECT count(*) FROM "
                                   "notification n WHERE n.user_id = u.id) DESC, u.id LIMIT 1"),
        "registered": _one(connection, "SELECT u.id FROM \"user\" u LEFT JOIN membership m ON m.user_id = u.id "
                                       "WHERE m.id IS NULL AND u.role = 'registered' ORDER BY u.id LIMIT 1"),
        "moderator": _one(connection, "SELECT id FROM \"user\" WHERE role = 'moderator' ORDER BY id LIMIT 1"),
        "admin": _one(connection, "SELECT id FROM \"user\" WHERE role = 'admin' ORDER BY id LIMIT 1"),
        "category": _one(connection, "SELECT slug FROM category WHERE NOT moderators_only "
                                     "ORDER BY thread_count DESC LIMIT 1"),
        "category_pages": _one(connection, "SELECT (max(thread_count) - 1) / 30 + 1 FROM category "
                                           "WHERE NOT moderators_only"),
        "thread_50": _one(connection, "SELECT t.id FROM thread t JOIN category c ON c.id = t.category_id "
                                      "WHERE NOT c.moderators_only AND t.last_number >= 50 "
                                      "ORDER BY t.last_number, t.id LIMIT 1"),
        "long_thread": _one(connection, "SELECT t.id FROM thread t JOIN category c ON c.id = t.category_id "
                                        "WHERE NOT c.moderators_only ORDER BY t.last_number DESC LIMIT 1"),
        "long_thread_pages": _one(connection, "SELECT (max(last_number) - 1) / 20 + 1 FROM thread"),
        "post": _one(connection, "SELECT p.id FROM post p JOIN thread t ON t.id = p.thread_id "
                                 "WHERE p.state = 'visible' ORDER BY t.last_number DESC, p.number DESC LIMIT 1"),
        "story": _one(connection, "SELECT id FROM story WHERE audience = 'public' AND published_at IS NOT NULL "
                                  "AND withdrawn_at IS NULL ORDER BY published_at DESC LIMIT 1"),
        "hub_page": _one(connection, "SELECT slug FROM page WHERE kind = 'hub' AND published "
                                     "ORDER BY position LIMIT 1"),
        "item": _one(connection, "SELECT id FROM moderation_item WHERE status = 'open' ORDER BY id LIMIT 1"),
        "subject": _one(connection, "SELECT subject_id FROM audit_entry WHERE subject_id IS NOT NULL "
                                    "GROUP BY subject_id ORDER BY count(*) DESC LIMIT 1"),
        "subject_email": _one(connection, "SELECT email FROM \"user\" WHERE id = (SELECT subject_id FROM audit_entry "
                                          "WHERE subject_id IS NOT NULL GROUP BY subject_id "
                                          "ORDER BY count(*) DESC LIMIT 1)"),
        "action": _one(connection, "SELECT action FROM audit_entry GROUP BY action ORDER BY count(*) LIMIT 1"),
        "admin_member": _one(connection, "SELECT user_id FROM membership_change GROUP BY user_id "
                                         "ORDER BY count(*) DESC LIMIT 1"),
        "email_part": _one(connection, "SELECT split_part(email, '@', 1) FROM \"user\" ORDER BY id DESC LIMIT 1"),
    }


def pages_for(t: dict) -> list[tuple[str, str]]:
    """(reader, url) for every main page, in the order a visit would open them."""
    pages = [("anonymous", "/"), ("anonymous", "/resources"), ("anonymous", "/stories"),
             ("anonymous", "/stories?page=50"), ("anonymous", "/stories/feed.atom"), ("anonymous", "/cafe"),
             ("anonymous", "/sitemap.xml")]
    if t["hub_page"]:
        pages.append(("anonymous", f"/resources/{t['hub_page']}"))
    if t["story"]:
        pages.append(("anonymous", f"/stories/{t['story']}"))
    member = [("member", url) for url in (
        "/", "/account", "/account/sessions", "/account/notifications", "/membership", "/forums", "/notifications",
        "/notifications?page=3", "/forums/mine", "/forums/bookmarks", "/search?q=headache",
        "/search?q=headache&page=5", "/stories", "/stories?page=50", "/my/stories", "/lounge", "/lounge/diary",
        "/lounge/diary/entries", "/lounge/letters", "/cafe", "/cafe/room", "/standing")]
    if t["category"]:
        member += [("member", f"/forums/{t['category']}"),
                   ("member", f"/forums/{t['category']}?page={max(1, (t['category_pages'] or 1) // 2)}")]
    if t["thread_50"]:
        member += [("member", f"/forums/t/{t['thread_50']}"), ("member", f"/forums/t/{t['thread_50']}?page=2"),
                   ("member", f"/forums/t/{t['thread_50']}/unread")]
    if t["long_thread"]:
        member.append(("member", f"/forums/t/{t['long_thread']}?page={t['long_thread_pages']}"))
    if t["post"]:
        member += [("member", f"/forums/p/{t['post']}"), ("member", f"/forums/p/{t['post']}/reactions")]
    if t["story"]:
        member.append(("member", f"/stories/{t['story']}"))
    registered = [("registered", "/"), ("registered", "/account"), ("registered", "/membership")]
    moderator = [("moderator", url) for url in ("/moderation",)]
    if t["item"]:
        moderator.append(("moderator", f"/moderation/items/{t['item']}"))
    if t["subject"]:
        moderator.append(("moderator", f"/moderation/members/{t['subject']}"))
    admin = [("admin", url) for url in (
        "/admin/members", "/admin/members?page=20", "/admin/members?membership=access",
        "/admin/members?membership=ended", f"/admin/members?q={t['email_part'] or 'a'}", "/admin/stripe-events",
        "/admin/gift-codes", "/admin/gift-aid", "/admin/forums", "/admin/pages", "/moderation/audit",
        "/moderation/audit?page=10", "/moderation/settings", "/moderation/watched-words", "/cafe/admin",
        "/lounge/admin/letters")]
    if t["admin_member"]:
        admin.append(("admin", f"/admin/members/{t['admin_member']}"))
    if t["action"]:
        admin += [("admin", f"/moderation/audit?action={t['action']}"),
                  ("admin", "/moderation/audit?target_type=story")]
    if t["subject_email"]:
        admin.append(("admin", f"/moderation/audit?member={t['subject_email']}"))
    return pages + member + registered + moderator + admin


def sign_in(app, client, user_id: int) -> None:
    """Logs the test client in as `user_id` through a real session row, as the log-in form would."""
    from community.accounts.models import User
    from community.accounts.sessions import start_session
    from community.extensions import db, utcnow

    with app.app_context():
        user = db.session.get(User, user_id)
        if user.is_staff and user.two_factor_enabled_at is None:
            # Staff pages ask for two-factor sign-in first; the bench reader is taken to have set it up.
            user.two_factor_enabled_at = utcnow()
        token = start_session(user, remembered=False, user_agent="bench/explain.py")
        db.session.remove()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


# Recording and explaining -------------------------------------------------------------------------------------

def record_pages(app, targets: dict) -> tuple[list, dict, list]:
    """Requests every page; returns the variants to explain, {sql: pages that ran it} and
    [(reader, url, status, statement count)]."""
    from sqlalchemy import event

    from community.extensions import db

    variants: list[Variant] = []
    pages_of: dict[str, list] = {}
    visits = []
    clients = {}
    current = {"page": ""}

    def record(conn, cursor, sql, parameters, context, executemany):
        if executemany or not sql.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE", "DELETE", "INSERT")):
            return
        pages = pages_of.setdefault(sql, [])
        if current["page"] not in pages:
            pages.append(current["page"])
            if len(pages) <= VARIANTS:
                variants.append(Variant(sql, current["page"], parameters))
        current["count"] += 1

    with app.app_context():
        engine = db.engine
    for reader, url in pages_for(targets):
        if reader != "anonymous" and targets[reader] is None:
            visits.append((reader, url, "no such reader in the data", 0))
            continue
        if reader not in clients:
            clients[reader] = app.test_client()
            if reader != "anonymous":
                sign_in(app, clients[reader], targets[reader])
        current.update(page=f"{reader} {url}", count=0)
        event.listen(engine, "before_cursor_execute", record)
        try:
            response = clients[reader].get(url)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        visits.append((reader, url, response.status_code, current["count"]))
    return variants, pages_of, visits


def _walk(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _walk(child)


def _explain(engine, prefix: str, variant: Variant):
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(prefix + variant.sql, variant.parameters)
        rows = cursor.fetchall()
        connection.rollback()  # an UPDATE explained with ANALYZE ran: undo it
    finally:
        connection.close()
    return rows


def explain(engine, variants: list, large: set, plans: bool) -> None:
    """Runs each variant under EXPLAIN ANALYZE RUNS times; fills in its median time and scans."""
    for variant in variants:
        times = []
        for _ in range(RUNS):
            result = _explain(engine, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ", variant)[0][0]
            result = result[0] if isinstance(result, list) else json.loads(result)[0]
            times.append(result["Execution Time"])
        variant.median_ms = statistics.median(times)
        variant.blocks = result["Plan"].get("Shared Hit Blocks", 0) + result["Plan"].get("Shared Read Blocks", 0)
        for node in _walk(result["Plan"]):
            relation = node.get("Relation Name")
            if relation is None:
                continue
            index = f" ({node['Index Name']})" if "Index Name" in node else ""
            variant.scans.add(f"{node['Node Type']} {relation}{index}")
            if node["Node Type"] == "Seq Scan" and relation in large:
                variant.seq_scans.add(relation)
        if plans and variant.flags:
            variant.text_plan = "\n".join(row[0] for row in _explain(engine, "EXPLAIN (ANALYZE, BUFFERS) ", variant))


def large_tables(connection) -> set:
    from sqlalchemy import text

    rows = connection.execute(text("SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > :rows "
                                   "AND relnamespace = 'public'::regnamespace"), {"rows": LARGE_ROWS})
    return {name for (name,) in rows}


# Reporting ------------------------------------------------------------------------------------------------------

def _short(sql: str, width: int = 150) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def report(variants: list, pages_of: dict, visits: list, large: set, before: dict | None) -> int:
    print(f"Large tables (over {LARGE_ROWS} rows): {', '.join(sorted(large))}\n")
    print("Pages requested (reader, address, status, statements):")
    for reader, url, status, count in visits:
        print(f"  {reader:<10} {url:<60} {status}  {count}")
    print(f"\n{len(pages_of)} distinct statements; each explained as the first {VARIANTS} pages that ran it had it "
          f"(median of {RUNS} EXPLAIN ANALYZE runs; blocks: 8 kB pages the plan read), slowest first:\n")
    for variant in sorted(variants, key=lambda v: -v.median_ms):
        was = ""
        if before is not None:
            old = before.get(variant.key)
            was = (f"  (before: {old['median_ms']:.2f} ms, {old.get('blocks', '?')} blocks)" if old
                   else "  (before: not run)")
        print(f"{'!! ' if variant.flags else '   '}{variant.median_ms:8.2f} ms {variant.blocks:6} blocks{was}  "
              f"{' '.join(variant.flags)}")
        print(f"      {variant.page}  [{len(pages_of[variant.sql])} page(s) run it]")
        print(f"      {_short(variant.sql)}")
        print(f"      plan: {'; '.join(sorted(variant.scans)) or 'no table'}")
    flagged = [variant for variant in variants if variant.flags]
    print(f"\n{len(flagged)} of {len(variants)} flagged.")
    for variant in sorted(flagged, key=lambda v: -v.median_ms):
        if variant.text_plan:
            print(f"\n---- {variant.median_ms:.2f} ms, {variant.page}, parameters {variant.parameters}\n{variant.sql}"
                  f"\n\n{variant.text_plan}")
    return len(flagged)


def save(path: str, variants: list) -> None:
    Path(path).write_text(json.dumps({v.key: {"median_ms": v.median_ms, "blocks": v.blocks,
                                              "seq_scans": sorted(v.seq_scans), "scans": sorted(v.scans)}
                                      for v in variants}, indent=1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", help="a PostgreSQL URL (postgresql+psycopg://...)")
    parser.add_argument("--save", help="write the timings and plans to this JSON file")
    parser.add_argument("--compare", help="a JSON file from --save, to print its timings beside today's")
    parser.add_argument("--with-history", action="store_true",
                        help="first add what bench/dataset.py leaves out (notifications, audit log, café, diaries...)")
    parser.add_argument("--plans", action="store_true", help="also print each flagged statement in full, with "
                                                             "its plan")
    arguments = parser.parse_args()
    if not arguments.database_url.startswith("postgres"):
        parser.error("EXPLAIN (ANALYZE, BUFFERS) is PostgreSQL's: give a PostgreSQL URL")
    os.environ["DATABASE_URL"] = arguments.database_url  # so the engine options match the database

    import logging

    from sqlalchemy import text

    from community import create_app
    from community.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": arguments.database_url, "RATELIMIT_ENABLED": False,
                      "MAIL_SERVER": None, "MAIL_OUTBOX_DIR": tempfile.mkdtemp(prefix="explain-outbox-"),
                      "REDIS_URL": None, "DEMO_MODE": False})
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # Fresh statistics and visibility map, as autovacuum keeps them on a live site (index-only scans
        # need the latter).
        if arguments.with_history:
            add_history(connection)
        connection.execute(text("VACUUM ANALYZE"))
        targets = pick_targets(connection)
        large = large_tables(connection)
    print("Readers and targets picked from the data:", targets, "\n")
    variants, pages_of, visits = record_pages(app, targets)
    with app.app_context():
        explain(db.engine, variants, large, arguments.plans)
        db.engine.dispose()
    before = json.loads(Path(arguments.compare).read_text()) if arguments.compare else None
    flagged = report(variants, pages_of, visits, large, before)
    if arguments.save:
        save(arguments.save, variants)
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
