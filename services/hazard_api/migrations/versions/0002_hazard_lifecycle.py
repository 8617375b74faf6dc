"""Hazard lifecycle: hazards, plans, extensions, acceptances, evidence, timeline, audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:51:31.399083
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chain_key", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.String(length=36), nullable=True),
        sa.Column("actor_person_id", sa.String(length=36), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity_type", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("chain_key", "seq", name=op.f("uq_audit_log_chain_key_seq")),
    )
    op.create_table(
        "timeline_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hazard_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_entries")),
        sa.UniqueConstraint(
            "event_id", "hazard_id", name=op.f("uq_timeline_entries_event_id_hazard_id")
        ),
    )
    with op.batch_alter_table("timeline_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_timeline_entries_hazard_id"), ["hazard_id"], unique=False
        )

    op.create_table(
        "hazards",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("unit_name", sa.String(length=100), nullable=False),
        sa.Column("area_code", sa.String(length=6), nullable=False),
        sa.Column("industry_code", sa.String(length=10), nullable=True),
        sa.Column("township_id", sa.String(length=36), nullable=True),
        sa.Column("department_ids", sa.JSON(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("criterion_id", sa.String(length=40), nullable=True),
        sa.Column("found_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reported_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reported_by_user_id", sa.String(length=36), nullable=False),
        sa.Column("reported_by_person_id", sa.String(length=36), nullable=True),
        sa.Column("classified_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("classified_by_user_id", sa.String(length=36), nullable=True),
        sa.Column("deadline_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deadline_kind", sa.String(length=20), nullable=True),
        sa.Column("deadline_days", sa.Integer(), nullable=True),
        sa.Column("deadline_provisional", sa.Boolean(), nullable=False),
        sa.Column("original_deadline_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rectification_started_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("on_the_spot", sa.Boolean(), nullable=False),
        sa.Column("rectification_reported_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rectification_reported_by_user_id", sa.String(length=36), nullable=True),
        sa.Column("rectification_reported_by_person_id", sa.String(length=36), nullable=True),
        sa.Column("acceptance_due_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("funds_spent", sa.Integer(), nullable=False),
        sa.Column("accepted_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_user_id", sa.String(length=36), nullable=True),
        sa.Column("closed_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_user_id", sa.String(length=36), nullable=True),
        sa.Column("listing_level", sa.String(length=10), nullable=True),
        sa.Column("listing_body_id", sa.String(length=36), nullable=True),
        sa.Column("listing_body_name", sa.String(length=100), nullable=True),
        sa.Column("listing_notice_no", sa.String(length=60), nullable=True),
        sa.Column("listed_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("listing_published", sa.Boolean(), nullable=False),
        sa.Column("delisting_notice_no", sa.String(length=60), nullable=True),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("audit_head", sa.String(length=64), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_hazards_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazards")),
        sa.UniqueConstraint("code", name=op.f("uq_hazards_code")),
    )
    with op.batch_alter_table("hazards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hazards_found_at"), ["found_at"], unique=False)
        batch_op.create_index("ix_hazards_status_deadline", ["status", "deadline_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_hazards_township_id"), ["township_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hazards_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "acceptances",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hazard_id", sa.String(length=36), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("applied_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_by_user_id", sa.String(length=36), nullable=False),
        sa.Column("applied_by_person_id", sa.String(length=36), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("funds_spent", sa.Integer(), nullable=False),
        sa.Column("due_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_user_id", sa.String(length=36), nullable=True),
        sa.Column("decided_by_person_id", sa.String(length=36), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hazard_id"],
            ["hazards.id"],
            name=op.f("fk_acceptances_hazard_id_hazards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptances")),
        sa.UniqueConstraint("hazard_id", "round", name=op.f("uq_acceptances_hazard_id_round")),
    )
    with op.batch_alter_table("acceptances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_acceptances_hazard_id"), ["hazard_id"], unique=False)

    op.create_table(
        "extensions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hazard_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("previous_deadline_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("proposed_deadline_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by_user_id", sa.String(length=36), nullable=False),
        sa.Column("decided_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_user_id", sa.String(length=36), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hazard_id"],
            ["hazards.id"],
            name=op.f("fk_extensions_hazard_id_hazards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extensions")),
    )
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extensions_hazard_id"), ["hazard_id"], unique=False)

    op.create_table(
        "treatment_plans",
        sa.Column("hazard_id", sa.String(length=36), nullable=False),
        sa.Column("goal_and_tasks", sa.Text(), nullable=False),
        sa.Column("methods_and_measures", sa.Text(), nullable=False),
        sa.Column("funds_and_materials", sa.Text(), nullable=False),
        sa.Column("organisation_and_persons", sa.Text(), nullable=False),
        sa.Column("time_limit", sa.Text(), nullable=False),
        sa.Column("safety_and_emergency", sa.Text(), nullable=False),
        sa.Column("funds_budget", sa.Integer(), nullable=False),
        sa.Column("responsible_person", sa.String(length=50), nullable=False),
        sa.Column("submitted_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_by_user_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["hazard_id"],
            ["hazards.id"],
            name=op.f("fk_treatment_plans_hazard_id_hazards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hazard_id", name=op.f("pk_treatment_plans")),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hazard_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("acceptance_id", sa.String(length=36), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_path", sa.String(length=300), nullable=False),
        sa.Column("uploaded_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_user_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["acceptance_id"],
            ["acceptances.id"],
            name=op.f("fk_attachments_acceptance_id_acceptances"),
        ),
        sa.ForeignKeyConstraint(
            ["hazard_id"],
            ["hazards.id"],
            name=op.f("fk_attachments_hazard_id_hazards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachments_acceptance_id"), ["acceptance_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attachments_hazard_id"), ["hazard_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_hazard_id"))
        batch_op.drop_index(batch_op.f("ix_attachments_acceptance_id"))

    op.drop_table("attachments")
    op.drop_table("treatment_plans")
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extensions_hazard_id"))

    op.drop_table("extensions")
    with op.batch_alter_table("acceptances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acceptances_hazard_id"))

    op.drop_table("acceptances")
    with op.batch_alter_table("hazards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hazards_unit_id"))
        batch_op.drop_index(batch_op.f("ix_hazards_township_id"))
        batch_op.drop_index("ix_hazards_status_deadline")
        batch_op.drop_index(batch_op.f("ix_hazards_found_at"))

    op.drop_table("hazards")
    with op.batch_alter_table("timeline_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timeline_entries_hazard_id"))

    op.drop_table("timeline_entries")
    op.drop_table("audit_log")
