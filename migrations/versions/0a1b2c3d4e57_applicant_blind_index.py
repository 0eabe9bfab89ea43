"""dossiers: the applicants' blind index (keyed hashes of name, phone, ID number)

Revision ID: 0a1b2c3d4e57
Revises: d0f4b5a6c704
Create Date: 2026-12-08 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0a1b2c3d4e57'
down_revision = 'd0f4b5a6c704'
branch_labels = None
depends_on = None


def upgrade():
    # Filled for existing applicants at the next start (lobby.dossiers.search.backfill: hashing
    # needs the data key, which only the server holds), or `flask dossiers-reindex`.
    op.create_table('applicant_index',
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.Column('key_id', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['applicants.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('applicant_id', 'kind')
    )
    with op.batch_alter_table('applicant_index', schema=None) as batch_op:
        batch_op.create_index('ix_applicant_index_digest', ['office_id', 'kind', 'digest'], unique=False)
    # The dossier list finds an applicant's dossiers from the index's applicant ids.
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index('ix_dossiers_applicant_id', ['applicant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index('ix_dossiers_applicant_id')
    with op.batch_alter_table('applicant_index', schema=None) as batch_op:
        batch_op.drop_index('ix_applicant_index_digest')
    op.drop_table('applicant_index')
