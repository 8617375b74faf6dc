"""reporting-in: inbound messages and refused requests, the accidents' acknowledgement watch.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, shared.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.String(length=100), nullable=False),
        _at("received_at", nullable=False),
        sa.Column("webhook_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=True),
        sa.Column("sender", sa.String(length=10), nullable=True),
        sa.Column("hazard_id", sa.String(length=36), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("webhook_id", name=op.f("uq_inbound_messages_webhook_id")),
    )
    op.create_table(
        "inbound_rejections",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        _at("received_at", nullable=False),
        sa.Column("claimed_webhook_id", sa.String(length=200), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("body_length", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_rejections")),
    )
    op.create_table(
        "accident_acks",
        sa.Column("accident_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("unit_name", sa.String(length=200), nullable=False),
        sa.Column("accident_class", sa.String(length=20), nullable=False),
        _at("received_at", nullable=False),
        _at("due_at", nullable=False),
        _at("acknowledged_at"),
        sa.Column("receipt_no", sa.String(length=100), nullable=True),
        sa.Column("submission_id", sa.String(length=40), nullable=True),
        _at("alerted_at"),
        _at("phone_reported_at"),
        sa.Column("phone_reported_to", sa.String(length=100), nullable=True),
        sa.Column("phone_reported_by", sa.String(length=50), nullable=True),
        sa.Column("phone_note", sa.Text(), nullable=True),
        sa.Column("phone_recorded_by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("accident_id", name=op.f("pk_accident_acks")),
    )
    op.create_index(op.f("ix_accident_acks_due_at"), "accident_acks", ["due_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_accident_acks_due_at"), table_name="accident_acks")
    op.drop_table("accident_acks")
    op.drop_table("inbound_rejections")
    op.drop_table("inbound_messages")
