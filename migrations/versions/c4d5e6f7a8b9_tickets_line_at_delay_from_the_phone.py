"""tickets.line_at: the place in the line, pushed back by "Để người sau lên trước"

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
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('line_at', sa.DateTime(timezone=True), nullable=True))
    # Every ticket so far keeps its place: its line time is its issue time.
    op.execute("UPDATE tickets SET line_at = issued_at")
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('line_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_index('ix_tickets_line')
        batch_op.drop_index('ix_tickets_queue')
        batch_op.create_index('ix_tickets_line', ['office_id', 'service_day', 'status', 'is_priority', 'line_at', 'seq', 'id'], unique=False)
        batch_op.create_index('ix_tickets_queue', ['office_id', 'service_day', 'status', 'field_id', 'line_at'], unique=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_queue')
        batch_op.drop_index('ix_tickets_line')
        batch_op.create_index('ix_tickets_queue', ['office_id', 'service_day', 'status', 'field_id', 'issued_at'], unique=False)
        batch_op.create_index('ix_tickets_line', ['office_id', 'service_day', 'status', 'is_priority', 'issued_at', 'seq', 'id'], unique=False)
        batch_op.drop_column('line_at')
