"""Report reminders (#12): a request is about a hazard or about an enterprise's report.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), server_default="hazard", nullable=False)
        )
        batch_op.alter_column("hazard_id", existing_type=sa.String(length=100), nullable=True)
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.alter_column("hazard_id", existing_type=sa.String(length=100), nullable=True)


def downgrade() -> None:
    # Report requests and their notices have no hazard: they go with the downgrade.
    op.execute("DELETE FROM notices WHERE hazard_id IS NULL")
    op.execute("DELETE FROM requests WHERE hazard_id IS NULL")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.alter_column("hazard_id", existing_type=sa.String(length=100), nullable=False)
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.alter_column("hazard_id", existing_type=sa.String(length=100), nullable=False)
        batch_op.drop_column("kind")
