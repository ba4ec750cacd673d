"""Indexes on every foreign key that had none, for erasure

Deleting a row makes the database find every row that points at it (here to set the reference to NULL). Seventeen
nullable foreign keys had no index, so erasing a member read each of those tables whole: on the issue 14 data set
(bench/dataset.py, PostgreSQL) one member's DELETE took 344 ms, 60-90 ms of it reading all 100,000 posts for
post.hidden_by_id; café messages, notifications and revisions grow the same way. Partial indexes of the rows that
point somewhere (most are NULL), as community.extensions.index_reference declares them.

Plain CREATE INDEX statements rather than a batch, as in 92fd788c67bd: rebuilding a table on SQLite would drop
forum search's triggers.

Revision ID: 7c376b3c306e
Revises: ecd3e8e00fa6
Create Date: 2026-11-27 19:59:15

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c376b3c306e'
down_revision = 'ecd3e8e00fa6'
branch_labels = None
depends_on = None

REFERENCES = [
    ('cafe_session', 'summary_by_id'),
    ('cafe_message', 'reply_to_id'),
    ('cafe_message', 'hidden_by_id'),
    ('cafe_room_restriction', 'by_id'),
    ('thread', 'last_post_author_id'),
    ('post', 'hidden_by_id'),
    ('post_revision', 'edited_by_id'),
    ('letter_template_version', 'author_id'),
    ('membership_change', 'actor_id'),
    ('gift_code', 'created_by_id'),
    ('moderation_item', 'closed_by_id'),
    ('moderation_appeal', 'item_id'),
    ('moderation_appeal', 'decided_by_id'),
    ('moderation_member_note', 'author_id'),
    ('moderation_watched_word', 'created_by_id'),
    ('notification', 'actor_id'),
    ('page_revision', 'author_id'),
]


def upgrade():
    for table, column in REFERENCES:
        pointing = sa.text(f'{column} IS NOT NULL')
        op.create_index(f'ix_{table}_{column}', table, [column], postgresql_where=pointing, sqlite_where=pointing)


def downgrade():
    for table, column in reversed(REFERENCES):
        op.drop_index(f'ix_{table}_{column}', table_name=table)
