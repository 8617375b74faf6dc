"""Responsibility chain (#12): the industries a department regulates, acting holders for a
period and handover dates on posts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "regulated_industries",
        sa.Column("department_id", sa.String(length=36), nullable=False),
        sa.Column("industry_code", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["units.id"],
            name=op.f("fk_regulated_industries_department_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "department_id", "industry_code", name=op.f("pk_regulated_industries")
        ),
    )
    with op.batch_alter_table("regulated_industries") as batch:
        batch.create_index(
            batch.f("ix_regulated_industries_industry_code"), ["industry_code"], unique=False
        )
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("acting_person_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("acting_from", sa.Date(), nullable=True))
        batch.add_column(sa.Column("acting_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("holder_from", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("previous_holder_person_id", sa.String(length=36), nullable=True)
        )
        batch.create_foreign_key(
            batch.f("fk_posts_acting_person_id_people"), "people", ["acting_person_id"], ["id"]
        )
        batch.create_foreign_key(
            batch.f("fk_posts_previous_holder_person_id_people"),
            "people",
            ["previous_holder_person_id"],
            ["id"],
        )
        batch.create_index(batch.f("ix_posts_acting_person_id"), ["acting_person_id"])
        batch.create_index(
            batch.f("ix_posts_previous_holder_person_id"), ["previous_holder_person_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_index(batch.f("ix_posts_previous_holder_person_id"))
        batch.drop_index(batch.f("ix_posts_acting_person_id"))
        batch.drop_constraint(batch.f("fk_posts_previous_holder_person_id_people"), "foreignkey")
        batch.drop_constraint(batch.f("fk_posts_acting_person_id_people"), "foreignkey")
        for name in (
            "previous_holder_person_id",
            "holder_from",
            "acting_until",
            "acting_from",
            "acting_person_id",
        ):
            batch.drop_column(name)
    op.drop_table("regulated_industries")
