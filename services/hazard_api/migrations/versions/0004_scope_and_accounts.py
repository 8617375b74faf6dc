"""Accounts and directory scope: login throttling counters, a token cut-off per account, and a
person's mobile unique within their unit (a county-wide unique key answered 409 to a caller
for a number registered outside their scope: an oracle).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("tokens_valid_from", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("people") as batch:
        batch.drop_constraint("uq_people_mobile", type_="unique")
        batch.create_unique_constraint("uq_people_unit_id_mobile", ["unit_id", "mobile"])


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_constraint("uq_people_unit_id_mobile", type_="unique")
        batch.create_unique_constraint("uq_people_mobile", ["mobile"])
    with op.batch_alter_table("users") as batch:
        batch.drop_column("tokens_valid_from")
    op.drop_table("login_failures")
