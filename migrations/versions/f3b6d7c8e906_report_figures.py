"""report figures: closed days' wait/service spread and heat map; dossiers' digitised flag

Revision ID: f3b6d7c8e906
Revises: a7c1e2d3f401
Create Date: 2026-12-08 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3b6d7c8e906'
down_revision = 'a7c1e2d3f401'
branch_labels = None
depends_on = None


def upgrade():
    # A closed day's waits and service times as half-minute histograms per field, counter,
    # officer and procedure, and its tickets by hour (lobby/stats/spread.py keeps it): the
    # percentiles and the heat map of a year read ~10,000 small rows, not 300,000 tickets.
    op.create_table('ticket_day_spread',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('dim', sa.String(length=8), nullable=False),
    sa.Column('key', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('office_id', 'service_day', 'dim', 'key')
    )
    # Decision 766 indicator 4.2: the dossier's paper components were scanned at intake.
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digitised', sa.Boolean(), server_default='0', nullable=False))
    # Decision 766 reads these of every dossier of a period: from the index alone.
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index('ix_dossiers_766', ['office_id', 'received_at', 'status_code', 'result_ready_at', 'returned_at', 'original_due_at', 'supplement_requested_at', 'procedure_id', 'channel', 'digitised'], unique=False)
    # Decision 766 reads a period's supplement requests, stops and refusals by action.
    with op.batch_alter_table('dossier_events', schema=None) as batch_op:
        batch_op.create_index('ix_dossier_events_action', ['action', 'dossier_id', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('dossier_events', schema=None) as batch_op:
        batch_op.drop_index('ix_dossier_events_action')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index('ix_dossiers_766')
        batch_op.drop_column('digitised')
    op.drop_table('ticket_day_spread')
