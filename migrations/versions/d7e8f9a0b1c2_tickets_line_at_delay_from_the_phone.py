"""tickets.line_at: the place in the line, pushed back by "Để người sau lên trước"

Revision ID: d7e8f9a0b1c2
Revises: c4d5e6f7a8b9
Create Date: 2026-12-07 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7e8f9a0b1c2'
down_revision = 'c4d5e6f7a8b9'
branch_labels = None
depends_on = None


# SQLite cannot add a NOT NULL column without a default, and rebuilding `tickets` (batch mode)
# would drop a table that ticket events and dossiers point to: the column comes with a
# placeholder default, is filled from issued_at at once, and the default is dropped where the
# database can (PostgreSQL). Every insert names line_at (lobby.queue.issuing).
PLACEHOLDER = sa.text("'1970-01-01 00:00:00.000000'")


def upgrade():
    op.add_column(
        'tickets',
        sa.Column('line_at', sa.DateTime(timezone=True), nullable=False, server_default=PLACEHOLDER),
    )
    # Every ticket so far keeps its place: its line time is its issue time.
    op.execute("UPDATE tickets SET line_at = issued_at")
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('tickets', 'line_at', server_default=None)
    op.drop_index('ix_tickets_line', table_name='tickets')
    op.drop_index('ix_tickets_queue', table_name='tickets')
    op.create_index('ix_tickets_line', 'tickets', ['office_id', 'service_day', 'status', 'is_priority', 'line_at', 'seq', 'id'], unique=False)
    op.create_index('ix_tickets_queue', 'tickets', ['office_id', 'service_day', 'status', 'field_id', 'line_at'], unique=False)


def downgrade():
    op.drop_index('ix_tickets_queue', table_name='tickets')
    op.drop_index('ix_tickets_line', table_name='tickets')
    op.create_index('ix_tickets_queue', 'tickets', ['office_id', 'service_day', 'status', 'field_id', 'issued_at'], unique=False)
    op.create_index('ix_tickets_line', 'tickets', ['office_id', 'service_day', 'status', 'is_priority', 'issued_at', 'seq', 'id'], unique=False)
    op.drop_column('tickets', 'line_at')
