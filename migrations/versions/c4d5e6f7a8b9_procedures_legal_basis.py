"""procedures: the legal basis line (căn cứ pháp lý) posted with each procedure

Revision ID: c4d5e6f7a8b9
Revises: 9bb53836ecfc
Create Date: 2026-12-07 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d5e6f7a8b9'
down_revision = '9bb53836ecfc'
branch_labels = None
depends_on = None


def upgrade():
    # The laws and decrees a procedure rests on, as the public list (/thu-tuc) posts them.
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('legal_basis', sa.Text(), nullable=False, server_default='')
        )


def downgrade():
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.drop_column('legal_basis')
