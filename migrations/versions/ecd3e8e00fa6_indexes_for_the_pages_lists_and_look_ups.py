"""Indexes for the pages' lists and look-ups

Checked with EXPLAIN ANALYZE on PostgreSQL with the issue 14 data set (10,000 members, 100,000 posts, 5,000
stories, and a history of notifications, audit entries and queue items: bench/explain.py). Each list below was read
by scanning its whole table and sorting it; with its index the page reads its first rows in order:
- the members' /stories list, most recently updated first (14 ms -> 0.2 ms);
- the admins' members list, newest first (9 ms -> 0.1 ms);
- the moderation queue, open items only, safety first then oldest (3.2 ms -> 0.3 ms): a partial index of the open
  items replaces (status, safety, opened_at), whose order could not serve "safety DESC, opened_at";
- a member's /notifications, newest first (a sort of all their notifications before);
- the audit log by action, by kind of target (and a member's history, which matches entries about them), and the
  earlier queue items about the same target.

Plain CREATE INDEX statements rather than a batch, as in 92fd788c67bd: rebuilding a table on SQLite would drop
forum search's triggers.

Revision ID: ecd3e8e00fa6
Revises: 11d5c2aaf2bd
Create Date: 2026-11-27 08:59:03.542507

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ecd3e8e00fa6'
down_revision = '11d5c2aaf2bd'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade():
    op.create_index('ix_user_newest', 'user', ['created_at', 'id'])
    op.create_index('ix_story_members_listing', 'story', ['updated_at', 'id'])
    op.create_index('ix_notification_user_listing', 'notification', ['user_id', 'created_at', 'id'])
    op.create_index('ix_audit_entry_action', 'audit_entry', ['action', 'id'])
    op.create_index('ix_audit_entry_target', 'audit_entry', ['target_type', 'target_id'])
    op.create_index('ix_moderation_item_target', 'moderation_item', ['kind', 'target_id'])
    op.drop_index('ix_moderation_item_queue', table_name='moderation_item')
    op.create_index('ix_moderation_item_open_queue', 'moderation_item',
                    [sa.literal_column('safety DESC'), 'opened_at', 'id'], sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade():
    op.drop_index('ix_moderation_item_open_queue', table_name='moderation_item')
    op.create_index('ix_moderation_item_queue', 'moderation_item', ['status', 'safety', 'opened_at'])
    op.drop_index('ix_moderation_item_target', table_name='moderation_item')
    op.drop_index('ix_audit_entry_target', table_name='audit_entry')
    op.drop_index('ix_audit_entry_action', table_name='audit_entry')
    op.drop_index('ix_notification_user_listing', table_name='notification')
    op.drop_index('ix_story_members_listing', table_name='story')
    op.drop_index('ix_user_newest', table_name='user')
