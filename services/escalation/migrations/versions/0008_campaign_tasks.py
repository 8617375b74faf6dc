"""Campaign tasks (#15): a campaign's 催办 opens tasks that belong to no case.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.alter_column("case_id", existing_type=sa.String(36), nullable=True)


def downgrade() -> None:
    # A campaign's tasks have no case to belong to; the older schema cannot hold them.
    op.execute("DELETE FROM tasks WHERE case_id IS NULL")
    with op.batch_alter_table("tasks") as batch:
        batch.alter_column("case_id", existing_type=sa.String(36), nullable=False)
