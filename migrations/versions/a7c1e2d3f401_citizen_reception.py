"""citizen reception: the schedule (lịch tiếp công dân, leader on duty) and the reception book

Revision ID: a7c1e2d3f401
Revises: 0a1b2c3d4e57
Create Date: 2026-12-07 23:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c1e2d3f401'
down_revision = '0a1b2c3d4e57'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reception_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('mode', sa.String(length=20), nullable=False),
        sa.Column('official_name', sa.String(length=255), nullable=False),
        sa.Column('official_title', sa.String(length=255), nullable=False),
        sa.Column('place', sa.String(length=255), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('start', sa.Time(), nullable=False),
        sa.Column('end', sa.Time(), nullable=False),
        sa.Column('repeat', sa.String(length=20), nullable=False),
        sa.Column('until', sa.Date(), nullable=True),
        sa.Column('note', sa.String(length=255), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ['office_id'], ['offices.id'],
            name=op.f('fk_reception_entries_office_id_offices'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reception_entries')),
    )
    with op.batch_alter_table('reception_entries', schema=None) as batch_op:
        batch_op.create_index('ix_reception_entries_office', ['office_id', 'active'], unique=False)

    op.create_table(
        'reception_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('official', sa.String(length=255), nullable=False),
        sa.Column('citizen_name', sa.Text(), nullable=False),
        sa.Column('citizen_id_number', sa.Text(), nullable=True),
        sa.Column('citizen_address', sa.Text(), nullable=True),
        sa.Column('citizen_phone', sa.Text(), nullable=True),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('documents', sa.Text(), nullable=True),
        sa.Column('handling', sa.Text(), nullable=True),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['office_id'], ['offices.id'],
            name=op.f('fk_reception_records_office_id_offices'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['staff_id'], ['staff_users.id'], name=op.f('fk_reception_records_staff_id_staff_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reception_records')),
    )
    with op.batch_alter_table('reception_records', schema=None) as batch_op:
        batch_op.create_index(
            'ix_reception_records_received', ['office_id', 'received_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('reception_records', schema=None) as batch_op:
        batch_op.drop_index('ix_reception_records_received')
    op.drop_table('reception_records')
    with op.batch_alter_table('reception_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_reception_entries_office')
    op.drop_table('reception_entries')
