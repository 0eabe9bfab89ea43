"""notifications: citizens' contacts (encrypted) and the outbox of messages

Revision ID: d0f4b5a6c704
Revises: e2a5c6b7d805
Create Date: 2026-12-07 23:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd0f4b5a6c704'
down_revision = 'e2a5c6b7d805'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notify_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('service_day', sa.Date(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('push_subscription', sa.Text(), nullable=True),
    sa.Column('near_sent', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_notify_contacts_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_notify_contacts_office_id_offices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_notify_contacts_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_contacts')),
    sa.UniqueConstraint('dossier_id', name=op.f('uq_notify_contacts_dossier_id')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_notify_contacts_ticket_id'))
    )
    with op.batch_alter_table('notify_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notify_contacts_service_day'), ['service_day'], unique=False)

    op.create_table('notify_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_messages'))
    )
    with op.batch_alter_table('notify_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notify_messages_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('notify_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notify_messages_status'))
    op.drop_table('notify_messages')
    with op.batch_alter_table('notify_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notify_contacts_service_day'))
    op.drop_table('notify_contacts')
