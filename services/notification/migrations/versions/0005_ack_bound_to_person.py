"""Acknowledgement bound to the person (#14): how they showed it was them, and the uses of a
link by somebody else.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 08:00:01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("acknowledgements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified_by", sa.String(length=20), nullable=True))
    op.create_table(
        "link_uses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dispatch_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("unit", sa.String(length=100), server_default="", nullable=False),
        sa.Column("claimed_recipient", sa.Boolean(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatches.id"],
            name=op.f("fk_link_uses_dispatch_id_dispatches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_uses")),
    )
    op.create_index(op.f("ix_link_uses_dispatch_id"), "link_uses", ["dispatch_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_link_uses_dispatch_id"), table_name="link_uses")
    op.drop_table("link_uses")
    with op.batch_alter_table("acknowledgements", schema=None) as batch_op:
        batch_op.drop_column("verified_by")
