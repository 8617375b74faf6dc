"""Receipts are one number's: a batch's numbers share one provider message id (BizId).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone", sa.String(length=30), server_default="", nullable=False)
        )
        batch_op.drop_constraint("uq_receipts_provider_kind_provider_message_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_receipts_provider_kind_provider_message_id_phone"),
            ["provider_kind", "provider_message_id", "phone"],
        )


def downgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_constraint(
            "uq_receipts_provider_kind_provider_message_id_phone", type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_receipts_provider_kind_provider_message_id"),
            ["provider_kind", "provider_message_id"],
        )
        batch_op.drop_column("phone")
