"""report: closed days' ticket figures; indexes for the period's dossiers and ratings

Revision ID: e1f2a3b4c5d6
Revises: d7e8f9a0b1c2
Create Date: 2026-12-07 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1f2a3b4c5d6'
down_revision = 'd7e8f9a0b1c2'
branch_labels = None
depends_on = None


def upgrade():
    # A closed day's tickets counted once (lobby/stats.py keeps it): a year's report reads
    # these few thousand rows instead of 300,000 tickets.
    op.create_table('ticket_day_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('issue_field_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.Column('called', sa.Integer(), nullable=False),
    sa.Column('wait_us', sa.BigInteger(), nullable=False),
    sa.Column('served', sa.Integer(), nullable=False),
    sa.Column('service_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('office_id', 'service_day', 'issue_field_id', 'counter_id', 'status')
    )
    # The leader's report counts a period's dossiers by received_at and by result_ready_at, and
    # its ratings by created_at (lobby/stats.py): without these each reads the whole table.
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index('ix_dossiers_received', ['office_id', 'received_at'], unique=False)
        batch_op.create_index('ix_dossiers_ready', ['office_id', 'result_ready_at', 'timeliness'], unique=False)
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index('ix_ratings_period', ['office_id', 'created_at', 'level'], unique=False)


def downgrade():
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_ratings_period')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index('ix_dossiers_ready')
        batch_op.drop_index('ix_dossiers_received')
    op.drop_table('ticket_day_figures')
