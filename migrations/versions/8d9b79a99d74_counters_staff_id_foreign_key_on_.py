"""counters.staff_id foreign key on PostgreSQL

Revision ID: 8d9b79a99d74
Revises: 7f5b391397a4
Create Date: 2026-11-29 08:38:47.394333

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d9b79a99d74'
down_revision = '7f5b391397a4'
branch_labels = None
depends_on = None


NAME = "fk_counters_staff_id_staff_users"


def _has_fk(bind):
    return any(fk.get("name") == NAME or fk.get("constrained_columns") == ["staff_id"]
               for fk in sa.inspect(bind).get_foreign_keys("counters"))


def upgrade():
    # The first migration declared this key with use_alter=True inside create_table, which
    # PostgreSQL databases never received (SQLite did). Add it where it is missing.
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" and not _has_fk(bind):
        op.create_foreign_key(
            NAME, "counters", "staff_users", ["staff_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    # Nothing to undo: the key belongs to the first migration's schema.
    pass
