"""walk-in tickets in the booking limits: a ticket's phone number as a blind index

Revision ID: 1b2c3d4e5f68
Revises: f3b6d7c8e906
Create Date: 2026-12-08 01:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1b2c3d4e5f68"
down_revision = "f3b6d7c8e906"
branch_labels = None
depends_on = None


def upgrade():
    # The phone number given at the kiosk, as a keyed hash (kind "booking-phone"): the booking
    # limits per person count the day's walk-in tickets of that number. Deleted with the row
    # at the end of the ticket's day.
    with op.batch_alter_table("notify_contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_key", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_notify_contacts_phone_key", ["phone_key", "service_day"], unique=False
        )


def downgrade():
    with op.batch_alter_table("notify_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_contacts_phone_key")
        batch_op.drop_column("phone_key")
