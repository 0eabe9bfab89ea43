"""audit: sign-ins, counters opened, paused (reason, length) and closed, setting changes;
each officer's day; ticket history by time

Revision ID: c9e3a4f5b603
Revises: b8d2f3e4a502
Create Date: 2026-12-08 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'c9e3a4f5b603'
down_revision = 'b8d2f3e4a502'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('counter_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['counter_id'], ['counters.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_at', ['office_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_entries_counter', ['counter_id', 'kind', 'seconds'], unique=False)
        batch_op.create_index('ix_audit_entries_day', ['office_id', 'day', 'kind'], unique=False)
    # Each officer's day counted as it happens: a year of the audit view sums these rows.
    op.create_table('officer_day_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('finished', sa.Integer(), nullable=False),
    sa.Column('serving_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('office_id', 'day', 'staff_id', 'counter_id')
    )
    # The audit trail lists a period's ticket history newest first (lobby/audit/views.py).
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_at', ['at'], unique=False)


def downgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_at')
    op.drop_table('officer_day_figures')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_day')
        batch_op.drop_index('ix_audit_entries_counter')
        batch_op.drop_index('ix_audit_entries_at')
    op.drop_table('audit_entries')
