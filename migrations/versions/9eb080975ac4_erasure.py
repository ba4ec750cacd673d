"""Erasure: the audit log names an erased member by a pseudonym, and Gift Aid records outlive an erased account

Revision ID: 9eb080975ac4
Revises: 7e6bedb5ea44
Create Date: 2026-11-27 05:16:30.558466

"""
from alembic import op
import sqlalchemy as sa

import community.extensions


# revision identifiers, used by Alembic.
revision = '9eb080975ac4'
down_revision = '7e6bedb5ea44'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_label', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('subject_label', sa.String(length=40), server_default='', nullable=False))

    with op.batch_alter_table('gift_aid_declaration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('donor_reference', sa.String(length=40), nullable=True))
        batch_op.alter_column('user_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_gift_aid_declaration_donor_reference'), ['donor_reference'], unique=False)

    with op.batch_alter_table('membership_payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('donor_reference', sa.String(length=40), nullable=True))
        batch_op.alter_column('user_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_membership_payment_donor_reference'), ['donor_reference'], unique=False)



def downgrade():
    # Records kept from erased accounts have no member to belong to in the older schema.
    op.execute("DELETE FROM membership_payment WHERE user_id IS NULL")
    op.execute("DELETE FROM gift_aid_declaration WHERE user_id IS NULL")
    with op.batch_alter_table('membership_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_payment_donor_reference'))
        batch_op.alter_column('user_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('donor_reference')

    with op.batch_alter_table('gift_aid_declaration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gift_aid_declaration_donor_reference'))
        batch_op.alter_column('user_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('donor_reference')

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_column('subject_label')
        batch_op.drop_column('actor_label')

