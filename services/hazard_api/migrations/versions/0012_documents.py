"""Official documents (公文: 整改通知书, 挂牌督办通知书, 督办函, 通报, 摘牌销号通知) and the
文号 counters per issuing body, type and year (#14).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 07:24:13.280281
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("issuing_body", sa.String(length=100), nullable=False),
        sa.Column("doc_type", sa.String(length=30), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "issuing_body", "doc_type", "year", name=op.f("pk_document_counters")
        ),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("doc_type", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("hazard_id", sa.String(length=36), nullable=True),
        sa.Column("unit_id", sa.String(length=36), nullable=True),
        sa.Column("issuer_unit_id", sa.String(length=36), nullable=False),
        sa.Column("issuing_body", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("addressee", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("table", sa.JSON(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("cc", sa.String(length=500), nullable=False),
        sa.Column("printing_body", sa.String(length=100), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("replaces_id", sa.String(length=36), nullable=True),
        sa.Column("drafted_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("drafted_by_user_id", sa.String(length=36), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("serial", sa.Integer(), nullable=True),
        sa.Column("doc_no", sa.String(length=80), nullable=True),
        sa.Column("issued_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("issued_by_user_id", sa.String(length=36), nullable=True),
        sa.Column("issued_by_person_id", sa.String(length=36), nullable=True),
        sa.Column("issued_by_name", sa.String(length=50), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("audit_head", sa.String(length=64), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazards.id"], name=op.f("fk_documents_hazard_id_hazards")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_unit_id"], ["units.id"], name=op.f("fk_documents_issuer_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["documents.id"], name=op.f("fk_documents_replaces_id_documents")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_documents_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("doc_no", name=op.f("uq_documents_doc_no")),
        sa.UniqueConstraint("task_id", name=op.f("uq_documents_task_id")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_doc_type"), ["doc_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_hazard_id"), ["hazard_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_issued_at"), ["issued_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_documents_issuer_unit_id"), ["issuer_unit_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_documents_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_unit_id"))
        batch_op.drop_index(batch_op.f("ix_documents_status"))
        batch_op.drop_index(batch_op.f("ix_documents_issuer_unit_id"))
        batch_op.drop_index(batch_op.f("ix_documents_issued_at"))
        batch_op.drop_index(batch_op.f("ix_documents_hazard_id"))
        batch_op.drop_index(batch_op.f("ix_documents_doc_type"))

    op.drop_table("documents")
    op.drop_table("document_counters")
