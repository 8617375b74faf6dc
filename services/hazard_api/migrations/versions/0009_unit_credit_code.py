"""Enterprises' unified social credit code (GB 32100): the stable key a county's spreadsheets
use for them, unique among units (NULL for government units and where not known yet).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("credit_code", sa.String(length=18), nullable=True))
        batch.create_unique_constraint("uq_units_credit_code", ["credit_code"])


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_constraint("uq_units_credit_code", type_="unique")
        batch.drop_column("credit_code")
