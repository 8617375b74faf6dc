"""Official holiday schedules loaded by the county office (every version, who and when), and
what each hazard's deadline counts from, so a published schedule can count it again (#12).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "holiday_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("workdays", sa.JSON(), nullable=False),
        sa.Column("notice_no", sa.String(length=100), nullable=False),
        sa.Column("loaded_by_user_id", sa.String(length=36), nullable=False),
        sa.Column("loaded_by_username", sa.String(length=50), nullable=False),
        sa.Column("loaded_via", sa.String(length=10), nullable=False),
        sa.Column("loaded_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_schedules")),
        sa.UniqueConstraint("year", "version", name=op.f("uq_holiday_schedules_year_version")),
    )
    op.create_index(op.f("ix_holiday_schedules_year"), "holiday_schedules", ["year"])
    with op.batch_alter_table("hazards") as batch:
        batch.add_column(
            sa.Column("deadline_start_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("hazards") as batch:
        batch.drop_column("deadline_start_at")
    op.drop_index(op.f("ix_holiday_schedules_year"), table_name="holiday_schedules")
    op.drop_table("holiday_schedules")
