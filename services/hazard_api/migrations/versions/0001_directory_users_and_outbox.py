"""Organisation directory, user accounts, the outbox and processed-event tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 14:44:21.203853
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db
from shared.migrations import create_outbox_tables, drop_outbox_tables

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_tables()

    op.create_table(
        "units",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("area_code", sa.String(length=6), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("township_id", sa.String(length=36), nullable=True),
        sa.Column("is_safety_office", sa.Boolean(), nullable=False),
        sa.Column("industry_code", sa.String(length=10), nullable=True),
        sa.Column("industry_name", sa.String(length=100), nullable=True),
        sa.Column("territorial_unit_id", sa.String(length=36), nullable=True),
        sa.Column("high_risk", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"], name=op.f("fk_units_parent_id_units")),
        sa.ForeignKeyConstraint(
            ["territorial_unit_id"], ["units.id"], name=op.f("fk_units_territorial_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["units.id"], name=op.f("fk_units_township_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("parent_id", "name", name=op.f("uq_units_parent_id_name")),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_industry_code"), ["industry_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_units_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_units_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_units_territorial_unit_id"), ["territorial_unit_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_units_township_id"), ["township_id"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_people_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("mobile", name=op.f("uq_people_mobile")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_people_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "supervising_departments",
        sa.Column("enterprise_id", sa.String(length=36), nullable=False),
        sa.Column("department_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["units.id"],
            name=op.f("fk_supervising_departments_department_id_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["units.id"],
            name=op.f("fk_supervising_departments_enterprise_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "enterprise_id", "department_id", name=op.f("pk_supervising_departments")
        ),
    )
    with op.batch_alter_table("supervising_departments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervising_departments_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "posts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("holder_person_id", sa.String(length=36), nullable=True),
        sa.Column("acting", sa.Boolean(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_person_id"], ["people.id"], name=op.f("fk_posts_holder_person_id_people")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_posts_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_posts_holder_person_id"), ["holder_person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_posts_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=True),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_users_person_id_people")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_users_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "portfolio_industries",
        sa.Column("post_id", sa.String(length=36), nullable=False),
        sa.Column("industry_code", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_portfolio_industries_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", "industry_code", name=op.f("pk_portfolio_industries")),
    )
    with op.batch_alter_table("portfolio_industries", schema=None) as batch_op:
        batch_op.create_index("ix_portfolio_industries_code", ["industry_code"], unique=False)

    op.create_table(
        "portfolio_units",
        sa.Column("post_id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_portfolio_units_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_portfolio_units_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", "unit_id", name=op.f("pk_portfolio_units")),
    )
    with op.batch_alter_table("portfolio_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portfolio_units_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portfolio_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_units_unit_id"))

    op.drop_table("portfolio_units")
    with op.batch_alter_table("portfolio_industries", schema=None) as batch_op:
        batch_op.drop_index("ix_portfolio_industries_code")

    op.drop_table("portfolio_industries")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_unit_id"))
        batch_op.drop_index(batch_op.f("ix_users_person_id"))

    op.drop_table("users")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_unit_id"))
        batch_op.drop_index(batch_op.f("ix_posts_holder_person_id"))

    op.drop_table("posts")
    with op.batch_alter_table("supervising_departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervising_departments_department_id"))

    op.drop_table("supervising_departments")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_unit_id"))

    op.drop_table("people")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_township_id"))
        batch_op.drop_index(batch_op.f("ix_units_territorial_unit_id"))
        batch_op.drop_index(batch_op.f("ix_units_parent_id"))
        batch_op.drop_index(batch_op.f("ix_units_kind"))
        batch_op.drop_index(batch_op.f("ix_units_industry_code"))

    op.drop_table("units")
    drop_outbox_tables()
