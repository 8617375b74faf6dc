"""Case timers: a case's cursor, fencing token and due time in a narrow table of their own.

Firing a step then rewrites a small row and one due-time index entry instead of the wide case
row, which carried the facts and had every index updated on each firing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOVED = ("fence", "cursor", "next_fire_at", "fired_count", "last_fired_at")
FK = "fk_case_timers_case_id_cases"


def upgrade() -> None:
    op.create_table(
        "case_timers",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("fence", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("due_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fired_count", sa.Integer(), nullable=False),
        sa.Column("last_fired_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_timers")),
    )
    op.execute(
        "INSERT INTO case_timers (case_id, fence, cursor, due_at, fired_count, last_fired_at) "
        "SELECT id, fence, cursor, next_fire_at, fired_count, last_fired_at FROM cases"
    )
    with op.batch_alter_table("case_timers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_timers_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("due_at IS NOT NULL"),
            sqlite_where=sa.text("due_at IS NOT NULL"),
        )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_cases_due",
            postgresql_where=sa.text("next_fire_at IS NOT NULL"),
            sqlite_where=sa.text("next_fire_at IS NOT NULL"),
        )
        for column in MOVED:
            batch_op.drop_column(column)
    # Only now: SQLite rebuilds `cases` above (drop, re-create), which a reference would stop.
    with op.batch_alter_table("case_timers", schema=None) as batch_op:
        batch_op.create_foreign_key(FK, "cases", ["case_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("case_timers", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fence", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("cursor", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("next_fire_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("fired_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("last_fired_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
    for column in MOVED:
        source = "due_at" if column == "next_fire_at" else column
        op.execute(
            f"UPDATE cases SET {column} = "
            f"(SELECT t.{source} FROM case_timers t WHERE t.case_id = cases.id)"
        )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for column in ("fence", "cursor", "fired_count"):
            batch_op.alter_column(column, server_default=None)
        batch_op.create_index(
            "ix_cases_due",
            ["next_fire_at"],
            unique=False,
            postgresql_where=sa.text("next_fire_at IS NOT NULL"),
            sqlite_where=sa.text("next_fire_at IS NOT NULL"),
        )
    op.drop_table("case_timers")
