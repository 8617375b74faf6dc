"""The 工作台 counts without reading the hazards: a counter of the open hazards per unit and per
combination of everything a clock-free queue tests (status, listed, extension pending, has a
deadline), kept by database triggers on `hazards` so that no write path (the API, an import,
a bench's COPY, a hand-written fix) can forget it. hazards/queues.py sums the rows of the
caller's units; only the clock-dependent part (deadlines from now on, few) still reads hazards.

Closed and voided hazards are not counted: every queue is a set of open hazards, and leaving
them out keeps a closing hazard from touching a counter row at all.

Concurrency (PostgreSQL): a change is an `INSERT … ON CONFLICT DO UPDATE SET n = n + delta`,
which waits for the row lock of a concurrent writer and then adds to the committed value, so
no count is lost. A hazard moving between two rows bumps them in key order, so two such moves
lock rows in the same order and cannot deadlock each other. SQLite serialises writers anyway.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in step with services/hazard_api/hazards/models.py (`HazardQueueCount`) and with ENDED
# in hazards/service.py.
ENDED = "('closed', 'voided')"
# The counter key of a hazard row, as SQL over a row alias (NEW / OLD / hazards).
KEY = (
    "{r}.unit_id, {r}.status, {r}.listing_level IS NOT NULL,"
    " {r}.extension_requested_at IS NOT NULL, {r}.deadline_at IS NOT NULL"
)
KEY_COLUMNS = "unit_id, status, listed, extension_pending, has_deadline"
# The deadlines still ahead of the caller's running hazards (即将到期, and what 已逾期 leaves out):
# per unit, a range read from now on, so the years of past deadlines are never read.
RUNNING = sa.text("status IN ('classified', 'rectifying')")
TRACKED = "unit_id, status, listing_level, extension_requested_at, deadline_at"

BACKFILL = f"""
INSERT INTO hazard_queue_counts ({KEY_COLUMNS}, n)
SELECT {KEY.format(r="hazards")}, count(*) FROM hazards
WHERE status NOT IN {ENDED}
GROUP BY {KEY.format(r="hazards")}
"""

PG_FUNCTIONS = [
    f"""
CREATE FUNCTION hazard_queue_counts_bump(
    u varchar, s varchar, l boolean, e boolean, d boolean, delta integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF s IN {ENDED} THEN
        RETURN;
    END IF;
    INSERT INTO hazard_queue_counts ({KEY_COLUMNS}, n) VALUES (u, s, l, e, d, delta)
    ON CONFLICT ({KEY_COLUMNS}) DO UPDATE SET n = hazard_queue_counts.n + EXCLUDED.n;
END $$
""",
    f"""
CREATE FUNCTION hazard_queue_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM hazard_queue_counts_bump({KEY.format(r="NEW")}, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM hazard_queue_counts_bump({KEY.format(r="OLD")}, -1);
    ELSIF ROW({KEY.format(r="OLD")}) IS DISTINCT FROM ROW({KEY.format(r="NEW")}) THEN
        -- Key order, so that concurrent moves lock counter rows in one order (no deadlock).
        IF ROW({KEY.format(r="OLD")}) < ROW({KEY.format(r="NEW")}) THEN
            PERFORM hazard_queue_counts_bump({KEY.format(r="OLD")}, -1);
            PERFORM hazard_queue_counts_bump({KEY.format(r="NEW")}, 1);
        ELSE
            PERFORM hazard_queue_counts_bump({KEY.format(r="NEW")}, 1);
            PERFORM hazard_queue_counts_bump({KEY.format(r="OLD")}, -1);
        END IF;
    END IF;
    RETURN NULL;
END $$
""",
    f"""
CREATE TRIGGER hazards_queue_counts
AFTER INSERT OR DELETE OR UPDATE OF {TRACKED} ON hazards
FOR EACH ROW EXECUTE FUNCTION hazard_queue_counts_track()
""",
]


def _sqlite_bump(row: str, delta: int) -> str:
    return f"""
    INSERT OR IGNORE INTO hazard_queue_counts ({KEY_COLUMNS}, n)
    SELECT {KEY.format(r=row)}, 0 WHERE {row}.status NOT IN {ENDED};
    UPDATE hazard_queue_counts SET n = n + ({delta})
    WHERE ({KEY_COLUMNS}) = ({KEY.format(r=row)}) AND {row}.status NOT IN {ENDED};"""


SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER hazards_queue_counts_insert AFTER INSERT ON hazards
    BEGIN {_sqlite_bump("NEW", 1)}
    END""",
    f"""CREATE TRIGGER hazards_queue_counts_delete AFTER DELETE ON hazards
    BEGIN {_sqlite_bump("OLD", -1)}
    END""",
    f"""CREATE TRIGGER hazards_queue_counts_update AFTER UPDATE OF {TRACKED} ON hazards
    WHEN ({KEY.format(r="OLD")}) IS NOT ({KEY.format(r="NEW")})
    BEGIN {_sqlite_bump("OLD", -1)} {_sqlite_bump("NEW", 1)}
    END""",
]


def upgrade() -> None:
    op.create_table(
        "hazard_queue_counts",
        sa.Column("unit_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("extension_pending", sa.Boolean(), nullable=False),
        sa.Column("has_deadline", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "status", "listed", "extension_pending", "has_deadline"),
    )
    op.execute(BACKFILL)
    op.create_index(
        "ix_hazards_running_unit_deadline",
        "hazards",
        ["unit_id", "deadline_at"],
        postgresql_where=RUNNING,
        sqlite_where=RUNNING,
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_FUNCTIONS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER hazards_queue_counts ON hazards")
        op.execute("DROP FUNCTION hazard_queue_counts_track()")
        op.execute(
            "DROP FUNCTION hazard_queue_counts_bump(varchar, varchar, boolean, boolean,"
            " boolean, integer)"
        )
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER hazards_queue_counts_{name}")
    op.drop_index("ix_hazards_running_unit_deadline", table_name="hazards")
    op.drop_table("hazard_queue_counts")
