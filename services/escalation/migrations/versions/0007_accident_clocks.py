"""Accident clocks (#15): an accident's case carries its statutory clocks and the accident.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOCKS = (
    "upward_report_due_at",
    "supplement_ends_at",
    "investigation_due_at",
    "decision_due_at",
    "items_missing_at",
)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        for name in CLOCKS:
            batch.add_column(sa.Column(name, shared.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("accident", sa.Text(), nullable=True))


# SQLite rebuilds `cases` to drop columns (drop, re-create), which a reference would stop.
REFERENCES = (
    ("case_timers", "fk_case_timers_case_id_cases"),
    ("tasks", "fk_tasks_case_id_cases"),
)


def downgrade() -> None:
    for table, fk in REFERENCES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(fk, type_="foreignkey")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("accident")
        for name in reversed(CLOCKS):
            batch.drop_column(name)
    for table, fk in REFERENCES:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(fk, "cases", ["case_id"], ["id"])
