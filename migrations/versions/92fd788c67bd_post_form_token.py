"""Forum posts keep the token of the form that wrote them, so the same new-thread or reply form sent twice makes one post

Plain ALTER TABLE statements rather than a batch: rebuilding the post table on SQLite would drop forum search's
triggers (see migration 872946aca577).

Revision ID: 92fd788c67bd
Revises: 9eb080975ac4
Create Date: 2026-11-27 06:20:22.113347

"""
from alembic import op
import sqlalchemy as sa

import community.extensions


# revision identifiers, used by Alembic.
revision = '92fd788c67bd'
down_revision = '9eb080975ac4'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('post', sa.Column('form_token', sa.String(length=40), nullable=True))
    op.create_index('uq_post_author_form_token', 'post', ['author_id', 'form_token'], unique=True)


def downgrade():
    op.drop_index('uq_post_author_form_token', table_name='post')
    # SQLite 3.35+ and PostgreSQL both drop a column in place, keeping the table and its triggers.
    op.execute("ALTER TABLE post DROP COLUMN form_token")
