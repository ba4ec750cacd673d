"""Erasure (community/privacy/erasure.py and each feature's part): the test that cannot be outgrown (after erasing
a member with something in every part of the site, no column naming a member still holds their id, and their
name and email address are in no table at all), their choice about forum posts and café messages, the audit log's
pseudonym, what stays (others' words, consent records, Gift Aid records HMRC needs), and other members untouched."""

from datetime import date, timedelta

import pytest
from sqlalchemy import String, Text, func, select

from community.accounts.models import User
from community.cafe.models import CafeMessage
from community.extensions import db, utcnow
from community.forums.models import Category, Post, PostRevision, Thread
from community.membership import gift_aid
from community.membership.models import GiftAidDeclaration, MembershipPayment
from community.moderation.models import AuditEntry, QueueItem
from community.notifications.models import Notification
from community.privacy import erasure
from community.stories.models import Story, StoryConsent
from tests.factories import make_member, make_user
from tests.privacy.conftest import OTHERS_WORDS
from tests.privacy.test_export_coverage import columns_naming_a_member

CAFE_WORDS = "My café words, lying flat tonight."


def rows_naming(user_id: int) -> dict[str, int]:
    """How many rows each column naming a member holds for this id (only the columns with any)."""
    found = {}
    for column in sorted(columns_naming_a_member()):
        table_name, column_name = column.split(".")
        table = db.metadata.tables[table_name]
        count = db.session.scalar(select(func.count()).select_from(table).where(table.c[column_name] == user_id))
        if count:
            found[column] = count
    return found


def every_text_in_the_database() -> str:
    """Every string value of every row of every table, joined: to look for a name or an address anywhere."""
    values = []
    for table in db.metadata.sorted_tables:
        columns = [column for column in table.columns if isinstance(column.type, String | Text)]
        if columns:
            values += [str(value) for row in db.session.execute(select(*columns)) for value in row if value]
    return "\n".join(values)


def erase(member: User, keep_writing: bool, **kwargs) -> str:
    return erasure.erase_member(db.session.get(User, member.id), keep_writing=keep_writing, **kwargs)


@pytest.mark.parametrize("keep_writing", [True, False])
def test_nothing_in_the_database_names_an_erased_member(member_with_everything, keep_writing):
    member = member_with_everything["member"]
    member_id, email = member.id, member.email
    assert len(rows_naming(member_id)) >= 15  # the fixture really gave them something nearly everywhere
    erase(member, keep_writing)
    assert rows_naming(member_id) == {}
    assert db.session.get(User, member_id) is None
    everything = every_text_in_the_database()
    assert "Mel Member" not in everything and email not in everything
    if keep_writing:
        assert CAFE_WORDS in everything and "Hello, everyone. Edited." in everything
    else:
        assert CAFE_WORDS not in everything and "Hello, everyone. Edited." not in everything
    # Their earlier words (the post before its edit) go either way.
    assert db.session.scalar(select(func.count()).select_from(PostRevision)) == 0


def test_kept_writing_stays_signed_a_former_member(member_with_everything, app, login):
    people = member_with_everything
    member = people["member"]
    thread_id = people["forum"]["thread_id"]
    erase(member, keep_writing=True)
    first = db.session.scalar(select(Post).where(Post.thread_id == thread_id, Post.number == 1))
    assert first.author_id is None and first.body == "Hello, everyone. Edited."
    assert db.session.scalar(select(CafeMessage).where(CafeMessage.body == CAFE_WORDS)).author_id is None
    reader = app.test_client()
    login(make_member(), the_client=reader)
    page = reader.get(f"/forums/t/{thread_id}").text
    assert "Hello, everyone. Edited." in page and "A former member" in page and "Mel Member" not in page


def test_deleted_writing_leaves_placeholders_and_others_replies(member_with_everything):
    people = member_with_everything
    member, moderator = people["member"], people["moderator"]
    thread_id = people["forum"]["thread_id"]
    category = db.session.get(Category, people["forum"]["category_id"])
    solo = Thread(category_id=category.id, author_id=member.id, title="Only mine", last_number=1,
                  last_visible_number=1)
    db.session.add(solo)
    db.session.flush()
    db.session.add(Post(thread_id=solo.id, number=1, author_id=member.id, body="All alone.", body_html="<p>x</p>"))
    db.session.commit()
    solo_id = solo.id
    erase(member, keep_writing=False)
    assert db.session.get(Thread, solo_id) is None
    posts = {post.number: post for post in db.session.scalars(select(Post).where(Post.thread_id == thread_id))}
    assert posts[1].body == "" and posts[1].state == "deleted" and posts[1].author_id is None
    assert posts[2].body == "Welcome." and posts[2].author_id == moderator.id
    thread = db.session.get(Thread, thread_id)
    assert thread.reply_count == 1 and thread.last_post_author_id == moderator.id
    db.session.refresh(category)
    visible = db.session.scalar(select(func.count()).select_from(Post).join(Thread)
                                .where(Thread.category_id == category.id, Post.state == "visible"))
    assert category.post_count == visible
    assert OTHERS_WORDS in every_text_in_the_database()
    assert db.session.scalar(select(func.count()).select_from(QueueItem).where(
        QueueItem.kind == "forum_post", QueueItem.target_id == posts[1].id, QueueItem.status == "open")) == 0


def test_the_audit_log_keeps_its_record_under_a_pseudonym(member_with_everything):
    member = member_with_everything["member"]
    about_them = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                   .where(AuditEntry.subject_id == member.id))
    assert about_them
    pseudonym = erase(member, keep_writing=True)
    assert pseudonym.startswith("Former member ")
    labelled = db.session.scalars(select(AuditEntry).where(AuditEntry.subject_label == pseudonym)
                                  .order_by(AuditEntry.id)).all()
    assert len(labelled) == about_them + 1  # the earlier entries, and the erasure itself
    last = labelled[-1]
    assert last.action == "account.erase" and last.actor_id is None and last.actor_label == pseudonym
    assert "kept" in last.detail


def test_other_members_lose_nothing_and_their_notifications_stop_naming_the_member(member_with_everything):
    people = member_with_everything
    member, other = people["member"], people["other"]
    db.session.add(Notification(user_id=other.id, kind="reply", actor_id=member.id,
                                text="Mel Member replied in “Lying flat”", url="/forums/t/1"))
    db.session.commit()
    before = {person: rows_naming(people[person].id) for person in ("other", "moderator", "admin")}
    erase(member, keep_writing=False)
    assert db.session.scalar(select(Notification.text).where(Notification.user_id == other.id,
                                                             Notification.kind == "reply")) \
        == "A former member replied in “Lying flat”"
    after = {person: rows_naming(people[person].id) for person in ("other", "moderator", "admin")}
    # Only what pointed at the member's own content can go (the moderator's reaction to the member's deleted post).
    for person in before:
        for column, count in after[person].items():
            assert count <= before[person][column]
        assert after[person].get("user_session.user_id", 0) == before[person].get("user_session.user_id", 0)
    assert after["other"] == before["other"]


def test_stories_go_and_consent_records_stay_without_a_name(member_with_everything):
    member = member_with_everything["member"]
    consents = db.session.scalar(select(func.count()).select_from(StoryConsent)
                                 .where(StoryConsent.user_id == member.id))
    assert consents and db.session.scalar(select(func.count()).select_from(Story).where(Story.author_id == member.id))
    erase(member, keep_writing=True)
    assert db.session.scalar(select(func.count()).select_from(Story)) == 0
    kept = db.session.scalars(select(StoryConsent)).all()
    assert len(kept) == consents and all(row.user_id is None and row.story_id is None for row in kept)


def test_gift_aid_records_stay_for_hmrc_without_the_account(app):
    admin = make_user(role="admin")
    member = make_member()
    gift_aid.declare(member, "Mel", "Member", "12", "1 Flat Lane, Leeds", "LS1 1AA")
    paid = utcnow() - timedelta(days=3)
    db.session.add(MembershipPayment(user_id=member.id, invoice_id="in_erased", amount_pence=800, currency="gbp",
                                     paid_at=paid))
    db.session.commit()
    erase(member, keep_writing=True)
    declaration = db.session.scalar(select(GiftAidDeclaration))
    payment = db.session.scalar(select(MembershipPayment))
    assert declaration.user_id is None and payment.user_id is None
    assert declaration.donor_reference and declaration.donor_reference == payment.donor_reference
    claim = gift_aid.claim_csv(admin, date.today() - timedelta(days=30), date.today())
    assert "Member" in claim and "8.00" in claim


def test_a_member_without_gift_aid_leaves_no_payment_behind(app):
    member = make_member()
    db.session.add(MembershipPayment(user_id=member.id, invoice_id="in_plain", amount_pence=800, currency="gbp",
                                     paid_at=utcnow()))
    db.session.commit()
    erase(member, keep_writing=True)
    assert db.session.scalar(select(func.count()).select_from(MembershipPayment)) == 0


def test_the_only_admin_cannot_be_erased(app):
    admin = make_user(role="admin")
    with pytest.raises(erasure.ErasureBlocked, match="only administrator"):
        erase(admin, keep_writing=True)
    assert db.session.get(User, admin.id) is not None
    make_user(role="admin")
    erase(admin, keep_writing=True)
    assert db.session.get(User, admin.id) is None
