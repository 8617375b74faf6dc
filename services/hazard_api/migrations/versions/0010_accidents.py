"""Accidents (事故快报、续报、补报, class, flags, clocks, 四不放过) and 停产整顿 orders with their
复工复产验收 (#15).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 05:00:45.879253
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("unit_name", sa.String(length=100), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("industry_code", sa.String(length=10), nullable=True),
        sa.Column("township_id", sa.String(length=36), nullable=True),
        sa.Column("department_ids", sa.JSON(), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("accident_type", sa.String(length=30), nullable=False),
        sa.Column("occurred_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("enterprise_reported_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deaths", sa.Integer(), nullable=True),
        sa.Column("missing", sa.Integer(), nullable=True),
        sa.Column("serious_injuries", sa.Integer(), nullable=True),
        sa.Column("minor_injuries", sa.Integer(), nullable=True),
        sa.Column("trapped", sa.Integer(), nullable=True),
        sa.Column("poisoned", sa.Integer(), nullable=True),
        sa.Column("direct_loss_yuan", sa.BigInteger(), nullable=True),
        sa.Column("accident_class", sa.String(length=20), nullable=False),
        sa.Column("investigation_level", sa.String(length=20), nullable=False),
        sa.Column("late_minutes", sa.Integer(), nullable=True),
        sa.Column("missing_items", sa.JSON(), nullable=False),
        sa.Column("concealment_review", sa.Boolean(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("upward_reported_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("investigation_extension_days", sa.Integer(), nullable=False),
        sa.Column("investigation_reported_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_extension_days", sa.Integer(), nullable=False),
        sa.Column("decided_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cause", sa.JSON(), nullable=True),
        sa.Column("decision", sa.JSON(), nullable=True),
        sa.Column("accountability", sa.JSON(), nullable=False),
        sa.Column("education", sa.JSON(), nullable=True),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("closed_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_user_id", sa.String(length=36), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("audit_head", sa.String(length=64), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_accidents_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accidents")),
        sa.UniqueConstraint("code", name=op.f("uq_accidents_code")),
    )
    with op.batch_alter_table("accidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accidents_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_accidents_township_id"), ["township_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_accidents_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "accident_reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("accident_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("received_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("measures_taken", sa.Text(), nullable=True),
        sa.Column("deaths", sa.Integer(), nullable=True),
        sa.Column("missing", sa.Integer(), nullable=True),
        sa.Column("serious_injuries", sa.Integer(), nullable=True),
        sa.Column("minor_injuries", sa.Integer(), nullable=True),
        sa.Column("trapped", sa.Integer(), nullable=True),
        sa.Column("poisoned", sa.Integer(), nullable=True),
        sa.Column("direct_loss_yuan", sa.BigInteger(), nullable=True),
        sa.Column("reporter_name", sa.String(length=50), nullable=False),
        sa.Column("reporter_phone", sa.String(length=20), nullable=False),
        sa.Column("within_window", sa.Boolean(), nullable=False),
        sa.Column("class_after", sa.String(length=20), nullable=False),
        sa.Column("signoff", sa.String(length=20), nullable=False),
        sa.Column("reviewed_by_user_id", sa.String(length=36), nullable=True),
        sa.Column("issued_by_user_id", sa.String(length=36), nullable=True),
        sa.Column("issued_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_user_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["accident_id"],
            ["accidents.id"],
            name=op.f("fk_accident_reports_accident_id_accidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accident_reports")),
    )
    with op.batch_alter_table("accident_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accident_reports_accident_id"), ["accident_id"], unique=False
        )

    op.create_table(
        "suspensions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("unit_name", sa.String(length=100), nullable=False),
        sa.Column("township_id", sa.String(length=36), nullable=True),
        sa.Column("department_ids", sa.JSON(), nullable=False),
        sa.Column("order_no", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("accident_id", sa.String(length=36), nullable=True),
        sa.Column("ordered_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ordered_by_user_id", sa.String(length=36), nullable=False),
        sa.Column("application", sa.JSON(), nullable=True),
        sa.Column("applied_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review", sa.JSON(), nullable=True),
        sa.Column("reviewed_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acceptances", sa.JSON(), nullable=False),
        sa.Column("accepted_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resumed_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("audit_head", sa.String(length=64), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accident_id"], ["accidents.id"], name=op.f("fk_suspensions_accident_id_accidents")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_suspensions_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suspensions")),
    )
    with op.batch_alter_table("suspensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_suspensions_accident_id"), ["accident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_suspensions_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_suspensions_township_id"), ["township_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_suspensions_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("suspensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suspensions_unit_id"))
        batch_op.drop_index(batch_op.f("ix_suspensions_township_id"))
        batch_op.drop_index(batch_op.f("ix_suspensions_status"))
        batch_op.drop_index(batch_op.f("ix_suspensions_accident_id"))

    op.drop_table("suspensions")
    with op.batch_alter_table("accident_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accident_reports_accident_id"))

    op.drop_table("accident_reports")
    with op.batch_alter_table("accidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accidents_unit_id"))
        batch_op.drop_index(batch_op.f("ix_accidents_township_id"))
        batch_op.drop_index(batch_op.f("ix_accidents_occurred_at"))

    op.drop_table("accidents")
