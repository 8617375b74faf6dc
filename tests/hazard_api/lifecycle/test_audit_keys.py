"""The audit chain's keys and seals (#17 Build 8): rotated keys keep old rows verifying, legacy
rows are sealed, the sealer anchors on its interval, weak keys are refused, and the row text is
what the attacker helpers of the tamper tests hash."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from sqlalchemy import Table, select

from services.hazard_api.audit import keys as audit_keys
from services.hazard_api.audit.models import AuditRow
from services.hazard_api.audit.sealer import AuditSealer, read_anchors, seal_all
from services.hazard_api.audit.service import row_message
from services.hazard_api.config import Settings
from services.hazard_api.hazards.models import Hazard
from shared.clock import TestClock
from tests.hazard_api.lifecycle.audit_forgery import (
    canonical,
    chain,
    hazards,
    rewrite_chain,
    sha256,
    verify,
)
from tests.hazard_api.lifecycle.conftest import Api


async def test_rotated_keys_keep_old_rows_verifying(api: Api, app: FastAPI) -> None:
    old = audit_keys.current_keyring()
    await hazards(api, 1)
    new_key = b"k2-" + b"x" * 40
    audit_keys.install(audit_keys.Keyring("k2", old.keys | {"k2": new_key}))
    try:
        await hazards(api, 1)
        assert (await verify(api))["ok"] is True
        async with app.state.sessionmaker() as session:
            used = set(await session.scalars(select(AuditRow.key_id)))
        assert used == {old.current_id, "k2"}
        audit_keys.install(audit_keys.Keyring("k2", {"k2": new_key}))  # old key forgotten
        bad = await verify(api)
        assert bad["problem"] == "unknown_key" and old.current_id in bad["reason"], bad
    finally:
        audit_keys.install(old)


async def test_legacy_rows_verify_and_are_sealed(api: Api, app: FastAPI) -> None:
    """Rows from before keys (as migration 0005 leaves them: key id `legacy`, plain SHA-256)."""
    a, _b, _c = await hazards(api)
    async with app.state.sessionmaker() as session, session.begin():
        rows = await chain(session, a)
        prev = rows[0].prev_hash
        for row in rows:
            row.key_id, row.prev_hash = audit_keys.LEGACY, prev
            row.hash = prev = sha256(row, canonical(row, prev))
        hazard = await session.get(Hazard, a)
        assert hazard is not None
        hazard.audit_head = prev
    ok = await verify(api)
    assert ok["ok"] is True and ok["sealed_rows"] == 9, ok
    # Once sealed, a legacy row cannot be rewritten without the key either.
    await rewrite_chain(app, a, hasher=sha256)
    assert (await verify(api))["problem"] == "global_mismatch"


async def test_sealer_anchors_on_its_interval_by_the_clock(
    api: Api, app: FastAPI, clock: TestClock, tmp_path: Path
) -> None:
    anchors = tmp_path / "anchors.jsonl"
    sealer = AuditSealer(
        app.state.sessionmaker,
        audit_keys.current_keyring(),
        clock,
        seal_seconds=3600,
        anchor_file=str(anchors),
        anchor_seconds=300,
    )
    await hazards(api, 1)
    await sealer.tick()
    await hazards(api, 1)
    clock.advance(seconds=299)
    await sealer.tick()  # seals, not due to anchor yet
    clock.advance(seconds=1)
    await sealer.tick()
    await sealer.tick()  # nothing new: no second anchor of the same head
    found = list(read_anchors(str(anchors)))
    assert [(x.n, x.gseq) for x in found if not isinstance(x, int)] == [(1, 3), (2, 6)]


@pytest.mark.parametrize("env", ["test", "production"])
def test_weak_audit_keys_are_refused_outside_development(env: str) -> None:
    base: dict[str, Any] = {"env": env, "secret_key": "s" * 40}
    with pytest.raises(ValueError, match="too weak"):
        Settings(**base, audit_keys={"k1": "password"})
    with pytest.raises(ValueError, match="audit_key_id"):
        Settings(**base, audit_keys={"k1": "a" * 32, "k2": "b" * 32})
    assert Settings(**base, audit_keys={"k1": "a" * 32}).audit_keys == {"k1": "a" * 32}
    assert Settings(env="development", audit_keys={"k1": "password"}).audit_keys


def test_the_row_text_is_what_the_attacker_helpers_hash() -> None:
    """Guards the helpers above: they must hash what the service hashes."""
    from datetime import UTC, datetime

    row = AuditRow(
        chain_key="hazard:x",
        seq=1,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        actor_user_id="u",
        actor_person_id=None,
        actor_role="enterprise",
        action="hazard.reported",
        entity_type="hazard",
        entity_id="x",
        before=None,
        after={"status": "reported"},
    )
    fields = {c: getattr(row, c) for c in ("chain_key", "seq", "at", "action", "after")}
    assert canonical(row, "p") == row_message(
        **fields,
        actor_user_id="u",
        actor_person_id=None,
        actor_role="enterprise",
        entity_type="hazard",
        entity_id="x",
        before=None,
        prev_hash="p",
    )


async def test_the_app_seals_and_anchors_in_the_background(
    api: Api, app: FastAPI, tmp_path: Path
) -> None:
    settings = app.state.settings
    settings.timeline_consumer = False  # no broker here
    settings.audit_seal_seconds = 0.05
    settings.audit_anchor_file = str(tmp_path / "anchors.jsonl")
    async with app.router.lifespan_context(app):
        await hazards(api, 1)
        for _ in range(400):  # waits for the sealer, whatever the machine's load
            async with app.state.sessionmaker() as session:
                unsealed = await session.scalar(
                    select(AuditRow.id).where(AuditRow.gseq.is_(None)).limit(1)
                )
            found = list(read_anchors(settings.audit_anchor_file))
            if found and unsealed is None:
                break
            await asyncio.sleep(0.05)
    anchor = found[0]
    assert unsealed is None and not isinstance(anchor, int) and anchor.gseq >= 1, found


async def test_rows_from_before_migration_0005_stillverify(database_url: str) -> None:
    """Rows hashed the old way (plain SHA-256) survive the upgrade as `legacy`, verify, and
    are sealed into the keyed global chain."""
    from datetime import UTC, datetime

    from services.hazard_api.audit.verify import verify
    from services.hazard_api.db import MIGRATIONS_DIR
    from shared.db import make_engine, make_sessionmaker
    from shared.migrations import upgrade

    await asyncio.to_thread(upgrade, database_url, MIGRATIONS_DIR, "0004")
    engine = make_engine(database_url)
    old_rows = []
    prev = hashlib.sha256(b"duban-audit:hazard:old").hexdigest()
    for seq in (1, 2):
        row = AuditRow(
            chain_key="hazard:old",
            seq=seq,
            at=datetime(2026, 1, seq, tzinfo=UTC),
            actor_user_id="u-1",
            actor_person_id=None,
            actor_role="enterprise",
            action="hazard.reported" if seq == 1 else "hazard.classified",
            entity_type="hazard",
            entity_id="old",
            before=None if seq == 1 else {"status": "reported"},
            after={"status": "reported" if seq == 1 else "classified"},
        )
        row.prev_hash = prev
        row.hash = prev = sha256(row, canonical(row, prev))
        old_rows.append(row)
    columns = "chain_key seq at actor_user_id actor_person_id actor_role action entity_type"
    columns += " entity_id before after prev_hash hash"
    table = cast(Table, AuditRow.__table__)
    try:
        async with engine.begin() as conn:
            for row in old_rows:
                await conn.execute(
                    table.insert().values({c: getattr(row, c) for c in columns.split()})
                )
        await asyncio.to_thread(upgrade, database_url, MIGRATIONS_DIR, "head")
        sessionmaker = make_sessionmaker(engine)
        keyring = audit_keys.Keyring("k1", {"k1": b"k" * 32})
        assert await seal_all(sessionmaker, keyring) == 2
        async with sessionmaker() as session:
            assert set(await session.scalars(select(AuditRow.key_id))) == {"legacy"}
            ok = await verify(session=session, keyring=keyring)
        assert ok.ok is True and ok.rows_checked == ok.sealed_rows == 2, ok
    finally:
        await engine.dispose()
