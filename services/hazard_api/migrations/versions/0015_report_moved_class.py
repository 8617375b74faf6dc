"""Whether an accident report's figures moved the statutory class: the upward document of its
签发 says so (`class_changed`), however much later it is signed off.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accident_reports") as batch:
        batch.add_column(
            sa.Column("moved_class", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("accident_reports") as batch:
        batch.drop_column("moved_class")
