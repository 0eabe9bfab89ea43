"""dossier lookup: wrong-PIN counter and lock time; the applicant's ID document type

Revision ID: b3c1d2e4f5a6
Revises: 8d9b79a99d74
Create Date: 2026-12-07 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3c1d2e4f5a6'
down_revision = '8d9b79a99d74'
branch_labels = None
depends_on = None


def upgrade():
    # Wrong lookup PINs per dossier, counted in the database so that every server process
    # sees the same count; after 5 the dossier's public lookup is locked until lookup_locked_until.
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('lookup_failures', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.add_column(sa.Column('lookup_locked_until', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_type', sa.String(length=12), nullable=True))


def downgrade():
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.drop_column('id_type')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_column('lookup_locked_until')
        batch_op.drop_column('lookup_failures')
