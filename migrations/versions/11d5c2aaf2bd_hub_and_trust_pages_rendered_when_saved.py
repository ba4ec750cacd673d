"""Hub and trust pages keep their text as HTML, rendered when saved, so reading a page never parses Markdown

Revision ID: 11d5c2aaf2bd
Revises: 92fd788c67bd
Create Date: 2026-11-27 08:52:16.611498

"""
import sqlalchemy as sa
from alembic import op

from community.markdown import render_markdown

# revision identifiers, used by Alembic.
revision = '11d5c2aaf2bd'
down_revision = '92fd788c67bd'
branch_labels = None
depends_on = None

page = sa.table("page", sa.column("id", sa.Integer), sa.column("body", sa.Text), sa.column("body_html", sa.Text),
                sa.column("contents", sa.JSON))


def upgrade():
    op.add_column('page', sa.Column('body_html', sa.Text(), server_default='', nullable=False))
    op.add_column('page', sa.Column('contents', sa.JSON(), server_default='[]', nullable=False))
    # The pages already there are rendered now, as saving them would have.
    connection = op.get_bind()
    for page_id, body in connection.execute(sa.select(page.c.id, page.c.body)).all():
        rendered = render_markdown(body)
        connection.execute(page.update().where(page.c.id == page_id).values(
            body_html=str(rendered.html), contents=[[heading.id, heading.text] for heading in rendered.contents]))


def downgrade():
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.drop_column('contents')
        batch_op.drop_column('body_html')
