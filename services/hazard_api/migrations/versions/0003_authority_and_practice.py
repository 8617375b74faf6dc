"""Hazards: listing publication and pending-extension times, major-hazard proposals, voiding.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("listing_published_at", shared.db.UTCDateTime(timezone=True)),
    ("extension_requested_at", shared.db.UTCDateTime(timezone=True)),
    ("proposed_grade", sa.Integer()),
    ("proposed_criterion_id", sa.String(length=40)),
    ("proposal_reason", sa.Text()),
    ("proposed_at", shared.db.UTCDateTime(timezone=True)),
    ("proposed_by_user_id", sa.String(length=36)),
    ("voided_at", shared.db.UTCDateTime(timezone=True)),
    ("voided_by_user_id", sa.String(length=36)),
    ("void_reason", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("hazards") as batch:
        for name, type_ in _COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hazards") as batch:
        for name, _type in reversed(_COLUMNS):
            batch.drop_column(name)
