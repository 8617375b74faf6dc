"""Hazards: the version of the criteria catalogue a major hazard was classified under.

Existing classified hazards were classified under version 1 (the only one before this revision).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hazards") as batch:
        batch.add_column(sa.Column("criterion_version", sa.Integer(), nullable=True))
    op.execute("UPDATE hazards SET criterion_version = 1 WHERE criterion_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("hazards") as batch:
        batch.drop_column("criterion_version")
