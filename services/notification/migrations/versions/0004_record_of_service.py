"""The record of service (#14): a keyed hash chain over the delivery log and acknowledgements.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime
from shared.hashchain import genesis

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "record_log",
        sa.Column("seq", _BIG, autoincrement=False, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_record_log")),
    )
    op.create_index("ix_record_log_entity", "record_log", ["kind", "entity_id"], unique=False)
    head = op.create_table(
        "record_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", _BIG, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=20), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_head")),
    )
    # The head exists from the start: writers only ever lock and move it.
    op.bulk_insert(
        head,
        [{"id": 1, "seq": 0, "hash": genesis("notification-record"), "key_id": "", "mac": ""}],
    )


def downgrade() -> None:
    op.drop_table("record_head")
    op.drop_index("ix_record_log_entity", table_name="record_log")
    op.drop_table("record_log")
