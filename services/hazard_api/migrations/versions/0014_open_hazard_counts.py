"""The 工作台 counts at a million hazards: every queue is a set of open hazards (not closed, not
voided), so the counts read only the open ones, per unit, off one partial index that also holds
every column a queue tests. Closed and voided hazards, most of a ledger some years in, are
never read; the count is an index-only scan of the caller's open hazards.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in step with services/hazard_api/hazards/models.py (`ix_hazards_open_unit`): the same
# predicate, written with literals, as the counts' query (hazards/queues.py) renders it.
OPEN = sa.text("status NOT IN ('closed', 'voided')")
COLUMNS = ["unit_id", "status", "deadline_at", "listing_level", "extension_requested_at"]


def upgrade() -> None:
    op.create_index(
        "ix_hazards_open_unit",
        "hazards",
        COLUMNS,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_hazards_open_unit", table_name="hazards")
