"""The generated county of bench/portal.py: fresh databases, the demo county migrated and seeded,
then BENCH_ENTERPRISES enterprises and n hazards written with COPY."""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.hazard_api.auth.models import User
from services.hazard_api.auth.service import issue_token
from services.hazard_api.db import MIGRATIONS_DIR
from services.hazard_api.directory.seed import seed_demo
from shared.clock import SystemClock
from shared.db import make_engine, make_sessionmaker, transaction
from shared.migrations import upgrade_async

PG_DSN = os.environ.get("DUBAN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
ENTERPRISES = int(os.environ.get("BENCH_ENTERPRISES", "3000"))
SECRET = "bench-portal-secret-not-for-production-0123456789"

INDUSTRIES = ["2671", "2614", "5265", "4430", "0610", "3011", "1713", "4720", "3311", "2511"]
# status, share (per mille): the mix of a county's ledger some years in.
STATUSES = [
    ("reported", 60),
    ("classified", 90),
    ("rectifying", 150),
    ("rectification_reported", 30),
    ("accepted", 20),
    ("closed", 600),
    ("voided", 50),
]
CHUNK = 50_000


async def create_database(tag: str) -> tuple[str, str]:
    name = f"duban_bench_portal_{tag}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_DSN.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


async def drop(name: str) -> None:
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def seed(dsn: str) -> dict[str, str]:
    """Migrate, seed the demo county; returns bearer tokens of the office and a township."""
    url = dsn.replace("postgresql://", "postgresql+asyncpg://")
    await upgrade_async(url, MIGRATIONS_DIR)
    engine = make_engine(url)
    clock = SystemClock()
    tokens = {}
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            await seed_demo(session=session, clock=clock)
        async with make_sessionmaker(engine)() as session:
            for username in ("office", "daping"):
                user = await session.get(User, await _user_id(session, username))
                assert user is not None
                tokens[username] = issue_token(
                    user, [], secret_key=SECRET, clock=clock, minutes=240
                )
    finally:
        await engine.dispose()
    return tokens


async def _user_id(session: Any, username: str) -> str:
    from sqlalchemy import select

    return str(await session.scalar(select(User.id).where(User.username == username)))


async def generate_enterprises(conn: asyncpg.Connection) -> list[tuple[str, str, str, str]]:
    """COPY the generated enterprises; returns (id, name, township id, industry) of each."""
    townships = [r["id"] for r in await conn.fetch("SELECT id FROM units WHERE kind='township'")]
    area = await conn.fetchval("SELECT area_code FROM units WHERE kind='county' LIMIT 1")
    now = datetime.now(UTC)
    rng = random.Random(13)
    out, rows = [], []
    for n in range(ENTERPRISES):
        uid = f"gen-ent-{n:05d}"
        name = f"生成企业第{n:05d}号有限公司"
        township, industry = rng.choice(townships), rng.choice(INDUSTRIES)
        out.append((uid, name, township, industry))
        rows.append(
            (uid, "enterprise", name, area, township, township, industry, False, False, now, now)
        )
    await conn.copy_records_to_table(
        "units",
        records=rows,
        columns=[
            "id", "kind", "name", "area_code", "parent_id", "township_id", "industry_code",
            "is_safety_office", "high_risk", "created_at", "updated_at",
        ],
    )  # fmt: skip
    return out


def hazard_rows(
    n: int, units: list[tuple[str, str, str, str]], area: str, reporter: str
) -> Iterator[list[tuple[Any, ...]]]:
    rng = random.Random(n)
    start = datetime(2021, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 12, 1, tzinfo=UTC) - start).total_seconds()
    statuses = [s for s, share in STATUSES for _ in range(share)]
    chunk: list[tuple[Any, ...]] = []
    for i in range(n):
        uid, name, township, industry = units[rng.randrange(len(units))]
        found = start + timedelta(seconds=rng.random() * span)
        status = rng.choice(statuses)
        classified = status != "reported" and status != "voided"
        major = classified and rng.random() < 0.03
        level = ("major" if major else "general") if classified else None
        deadline = found + timedelta(days=rng.randint(3, 60)) if classified else None
        listing = "county" if major and rng.random() < 0.5 else None
        chunk.append((
            str(uuid.UUID(int=rng.getrandbits(128))), f"YH-G-{i:08d}", uid, name, area, industry,
            township, "[]", "生产车间", f"第{i}号隐患：消防通道堆放杂物", "inspection", status,
            level, (rng.randint(1, 3) if major else None), found, found + timedelta(hours=2),
            reporter, (found + timedelta(days=1) if classified else None), deadline,
            ("calendar_days" if classified else None), False, False, 0, False, listing, 1, "x",
            found,
        ))  # fmt: skip
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


HAZARD_COLUMNS = [
    "id", "code", "unit_id", "unit_name", "area_code", "industry_code", "township_id",
    "department_ids", "location", "description", "source", "status", "level", "grade",
    "found_at", "reported_at", "reported_by_user_id", "classified_at", "deadline_at",
    "deadline_kind", "deadline_provisional", "on_the_spot", "funds_spent", "listing_published",
    "listing_level", "audit_seq", "audit_head", "updated_at",
]  # fmt: skip


async def fill(dsn: str, n: int) -> float:
    """COPY n hazards (secondary indexes dropped meanwhile, rebuilt after); seconds taken."""
    t0 = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        units = await generate_enterprises(conn)
        area = await conn.fetchval("SELECT area_code FROM units WHERE kind='county' LIMIT 1")
        reporter = await conn.fetchval("SELECT id FROM users WHERE username='office'")
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename='hazards'"
            " AND indexname NOT IN ('hazards_pkey') AND indexdef NOT LIKE '%UNIQUE%'"
        )
        for ix in indexes:
            await conn.execute(f'DROP INDEX "{ix["indexname"]}"')
        for chunk in hazard_rows(n, units, area, reporter):
            await conn.copy_records_to_table("hazards", records=chunk, columns=HAZARD_COLUMNS)
        await conn.execute("SET maintenance_work_mem = '256MB'")
        for ix in indexes:
            await conn.execute(ix["indexdef"])
        await conn.execute("VACUUM ANALYZE hazards")
        await conn.execute("ANALYZE units")
        # Filled by its row triggers during the COPY: one update per hazard left dead versions.
        await conn.execute("VACUUM ANALYZE hazard_queue_counts")
    finally:
        await conn.close()
    return time.perf_counter() - t0
