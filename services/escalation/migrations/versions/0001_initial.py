"""Initial schema: policy snapshots, cases (with the partial due index), outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 14:49:04.352489
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db
from shared.migrations import create_outbox_tables, drop_outbox_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_tables()

    op.create_table(
        "policy_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_snapshots")),
        sa.UniqueConstraint("digest", name=op.f("uq_policy_snapshots_digest")),
        sa.UniqueConstraint(
            "policy_id", "version", name=op.f("uq_policy_snapshots_policy_id_version")
        ),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hazard_id", sa.String(length=100), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=80), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("fence", sa.Integer(), nullable=False),
        sa.Column("next_fire_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("classified_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rectification_reported_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acceptance_due_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("halted", sa.JSON(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("fired_count", sa.Integer(), nullable=False),
        sa.Column("last_fired_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["policy_snapshots.id"],
            name=op.f("fk_cases_snapshot_id_policy_snapshots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("hazard_id", name=op.f("uq_cases_hazard_id")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_due",
            ["next_fire_at"],
            unique=False,
            postgresql_where=sa.text("next_fire_at IS NOT NULL"),
            sqlite_where=sa.text("next_fire_at IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_cases_due",
            postgresql_where=sa.text("next_fire_at IS NOT NULL"),
            sqlite_where=sa.text("next_fire_at IS NOT NULL"),
        )

    op.drop_table("cases")
    op.drop_table("policy_snapshots")
    drop_outbox_tables()
