"""County practice (#11): the clocks' anchors and policy history on cases; tasks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANCHORS = ("reported_at", "ordered_at", "listed_at", "extension_requested_at", "accepted_at")


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for column in ANCHORS:
            batch_op.add_column(
                sa.Column(column, shared.db.UTCDateTime(timezone=True), nullable=True)
            )
        # Existing cases ran under one policy; their history starts empty.
        batch_op.add_column(sa.Column("history", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("hazard_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assignee_role", sa.String(length=40), nullable=False),
        sa.Column("step_key", sa.String(length=60), nullable=False),
        sa.Column("repeat_index", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("due_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("closed_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_tasks_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_hazard_id"), ["hazard_id"], unique=False)
        batch_op.create_index("ix_tasks_state_created", ["state", "created_at"], unique=False)


TIMER_FK = "fk_case_timers_case_id_cases"


def downgrade() -> None:
    op.drop_table("tasks")
    # SQLite rebuilds `cases` to drop columns (drop, re-create), which a reference would stop.
    with op.batch_alter_table("case_timers", schema=None) as batch_op:
        batch_op.drop_constraint(TIMER_FK, type_="foreignkey")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("history")
        for column in ANCHORS:
            batch_op.drop_column(column)
    with op.batch_alter_table("case_timers", schema=None) as batch_op:
        batch_op.create_foreign_key(TIMER_FK, "cases", ["case_id"], ["id"])
