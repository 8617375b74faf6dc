"""Audit: keyed row hashes (key id per row; existing rows are `legacy`), the global chain
sealed after commit (gseq, gkey_id, ghash) and its head (audit_seal).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        # Rows hashed before keys existed keep verifying as plain SHA-256 (keys.LEGACY); the
        # first sealing takes them into the keyed global chain.
        batch.add_column(
            sa.Column("key_id", sa.String(length=20), nullable=False, server_default="legacy")
        )
        batch.add_column(sa.Column("gseq", _BIGINT, nullable=True))
        batch.add_column(sa.Column("gkey_id", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("ghash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(batch.f("uq_audit_log_gseq"), ["gseq"])
    # New rows name their key; no default would let a writer forget it.
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("key_id", server_default=None)
    seal = op.create_table(
        "audit_seal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gseq", _BIGINT, nullable=False),
        sa.Column("ghash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=20), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_seal")),
    )
    # The empty head (sealer.GLOBAL_GENESIS), so sealers starting at once need not race to
    # create it.
    op.bulk_insert(seal, [{"id": 1, "gseq": 0, "ghash": "0" * 64, "key_id": "", "mac": ""}])


def downgrade() -> None:
    op.drop_table("audit_seal")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint(batch.f("uq_audit_log_gseq"), type_="unique")
        for name in ("ghash", "gkey_id", "gseq", "key_id"):
            batch.drop_column(name)
