"""County 复工复产 campaigns after a holiday and their enterprises (#15).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("notice_no", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("industry_prefixes", sa.JSON(), nullable=False),
        sa.Column("township_ids", sa.JSON(), nullable=False),
        sa.Column("resume_by", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminders", sa.JSON(), nullable=False),
        sa.Column("opened_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by_user_id", sa.String(length=36), nullable=False),
        sa.Column("closed_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("audit_head", sa.String(length=64), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_status"), ["status"], unique=False)

    op.create_table(
        "campaign_enterprises",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("unit_name", sa.String(length=100), nullable=False),
        sa.Column("industry_code", sa.String(length=10), nullable=True),
        sa.Column("township_id", sa.String(length=36), nullable=True),
        sa.Column("department_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("acceptances", sa.JSON(), nullable=False),
        sa.Column("accepted_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_enterprises_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_campaign_enterprises_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "unit_id", name=op.f("pk_campaign_enterprises")),
    )
    with op.batch_alter_table("campaign_enterprises", schema=None) as batch_op:
        for column in ("unit_id", "township_id", "status"):
            batch_op.create_index(
                batch_op.f(f"ix_campaign_enterprises_{column}"), [column], unique=False
            )


def downgrade() -> None:
    op.drop_table("campaign_enterprises")
    op.drop_table("campaigns")
