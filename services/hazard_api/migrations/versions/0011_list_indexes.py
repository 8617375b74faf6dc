"""Indexes for the 台账 at a million hazards: each common filter followed by the default sort key
and the id tiebreaker, so the first page of a filtered, sorted list is an index range read
(forwards or backwards) that stops after one page instead of sorting every match.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name → columns (kept in step with services/hazard_api/hazards/models.py)
INDEXES = {
    "ix_hazards_found_id": ["found_at", "id"],
    "ix_hazards_reported_id": ["reported_at", "id"],
    "ix_hazards_deadline_id": ["deadline_at", "id"],
    "ix_hazards_status_found": ["status", "found_at", "id"],
    # status and level together (整改中的一般隐患…): the page, and the capped total read
    # off the index alone.
    "ix_hazards_status_level_found": ["status", "level", "found_at", "id"],
    "ix_hazards_level_found": ["level", "found_at", "id"],
    "ix_hazards_township_found": ["township_id", "found_at", "id"],
    "ix_hazards_unit_found": ["unit_id", "found_at", "id"],
    "ix_hazards_listing_found": ["listing_level", "found_at", "id"],
    # 待审批延期 (the 工作台 count): the few requests waiting, without reading every hazard.
    "ix_hazards_extension_requested": ["extension_requested_at"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "hazards", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="hazards")
