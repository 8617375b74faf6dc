"""Tamper evidence against a database administrator (#17 Build 8): each tampering from the
issue is named by GET /audit/verify; untouched data verifies clean.

The attacker helpers here work on the rows the way someone with SQL access would, without this
service's code: plain SHA-256 over the canonical row (what the chain used to be), or, for the
insider who also holds the audit key, HMAC over everything including the global chain.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit import keys as audit_keys
from services.hazard_api.audit.models import AuditRow, AuditSeal
from services.hazard_api.audit.sealer import AuditSealer, anchor_head, read_anchors, seal_all
from services.hazard_api.audit.service import row_message
from services.hazard_api.config import Settings
from services.hazard_api.hazards.models import Hazard
from shared.clock import TestClock
from tests.hazard_api.lifecycle.conftest import HAZARD, Api


async def _hazards(api: Api, n: int = 3) -> list[str]:
    ent = api.as_("hongxing")
    ids = []
    for i in range(n):
        hid = (await ent.post("/hazards", HAZARD | {"description": f"隐患{i}"})).json()["id"]
        await ent.post(f"/hazards/{hid}/classify", {"level": "general"})
        await ent.post(f"/hazards/{hid}/start-rectification", {})
        ids.append(hid)
    return ids


async def _verify(api: Api) -> dict[str, Any]:
    response = await api.as_("office").get("/audit/verify")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _chain(session: AsyncSession, hazard_id: str) -> list[AuditRow]:
    rows = await session.scalars(
        select(AuditRow).where(AuditRow.chain_key == f"hazard:{hazard_id}").order_by(AuditRow.seq)
    )
    return list(rows)


def _canonical(row: AuditRow, prev: str) -> str:
    body = {
        "chain": row.chain_key,
        "seq": row.seq,
        "at": row.at.isoformat(timespec="microseconds"),
        "user": row.actor_user_id,
        "person": row.actor_person_id,
        "role": row.actor_role,
        "action": row.action,
        "entity": [row.entity_type, row.entity_id],
        "before": row.before,
        "after": row.after,
        "prev": prev,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


async def _rewrite_chain(
    app: FastAPI, hazard_id: str, *, hasher: Any, key_id: str | None = None
) -> int:
    """Make the hazard's second row say "major", recompute that row's and every later row's
    hash with `hasher(row, canonical text)` and move the head kept on the hazard; returns the
    rewritten row's id."""
    async with app.state.sessionmaker() as session, session.begin():
        rows = await _chain(session, hazard_id)
        rows[1].after = (rows[1].after or {}) | {"level": "major"}
        prev = rows[0].hash
        for row in rows[1:]:
            if key_id is not None:
                row.key_id = key_id
            row.prev_hash = prev
            row.hash = prev = hasher(row, _canonical(row, prev))
        hazard = await session.get(Hazard, hazard_id)
        assert hazard is not None
        hazard.audit_head = prev
        return rows[1].id


def _sha256(_row: AuditRow, text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_untouched_data_verifies_clean(api: Api, app: FastAPI, tmp_path: Path) -> None:
    app.state.settings.audit_anchor_file = str(tmp_path / "anchors.jsonl")
    await _hazards(api, 2)
    ok = await _verify(api)  # seals what is pending first
    assert ok["ok"] is True and ok["rows_checked"] == ok["sealed_rows"] == 6, ok
    keyring = audit_keys.current_keyring()
    anchor = await anchor_head(
        app.state.sessionmaker, keyring, app.state.settings.audit_anchor_file, app.state.clock
    )
    assert anchor is not None and anchor.gseq == 6
    await _hazards(api, 1)
    again = await _verify(api)
    assert again["ok"] is True and again["sealed_rows"] == 9 and again["anchors_checked"] == 1
    async with app.state.sessionmaker() as session:
        keyed = await session.scalars(select(AuditRow.key_id).distinct())
        assert list(keyed) == [keyring.current_id] and keyring.current_id != "legacy"


@pytest.mark.parametrize("downgrade", [False, True], ids=["same-key-id", "marked-legacy"])
async def test_rewrite_recomputed_with_plain_sha256_is_named(
    api: Api, app: FastAPI, downgrade: bool
) -> None:
    a, _b, _c = await _hazards(api)
    assert (await _verify(api))["ok"] is True
    bad_id = await _rewrite_chain(
        app, a, hasher=_sha256, key_id=audit_keys.LEGACY if downgrade else None
    )
    bad = await _verify(api)
    assert bad["ok"] is False and bad["bad_row_id"] == bad_id, bad
    assert bad["chain_key"] == f"hazard:{a}" and bad["seq"] == 2
    # Without the key the row's HMAC fails; a row passed off as pre-key (legacy, plain
    # SHA-256) holds on its own, but legacy rows all precede the first keyed one.
    assert bad["problem"] == ("legacy_forged" if downgrade else "hmac_mismatch"), bad
    assert "篡改" in bad["reason"] or "伪造" in bad["reason"]


async def test_a_row_forged_the_old_way_is_never_sealed_and_named(api: Api, app: FastAPI) -> None:
    a, _b, _c = await _hazards(api)
    assert (await _verify(api))["ok"] is True
    async with app.state.sessionmaker() as session, session.begin():
        template = (await _chain(session, a))[0]
        forged = AuditRow(
            **{
                c.key: getattr(template, c.key)
                for c in AuditRow.__table__.columns
                if c.key not in ("id", "gseq", "gkey_id", "ghash")
            }
        )
        forged.chain_key, forged.entity_id, forged.key_id = "hazard:forged", "forged", "legacy"
        forged.prev_hash = hashlib.sha256(b"duban-audit:hazard:forged").hexdigest()
        forged.hash = _sha256(forged, _canonical(forged, forged.prev_hash))
        session.add(forged)
    bad = await _verify(api)
    assert bad["ok"] is False and bad["problem"] == "legacy_forged", bad
    assert bad["chain_key"] == "hazard:forged" and bad["gseq"] is None


async def _reseal_from(app: FastAPI, keyring: audit_keys.Keyring) -> None:
    """The insider's second step: recompute the whole global chain and its sealed head."""
    async with app.state.sessionmaker() as session, session.begin():
        rows = await session.scalars(
            select(AuditRow).where(AuditRow.gseq.is_not(None)).order_by(AuditRow.gseq)
        )
        prev = "0" * 64
        for row in rows:
            text = f"{row.gseq}\n{prev}\n{row.chain_key}\n{row.seq}\n{row.key_id}\n{row.hash}"
            row.ghash = prev = hmac.new(keyring.current, text.encode(), hashlib.sha256).hexdigest()
            last = row.gseq
        head = await session.get(AuditSeal, 1)
        assert head is not None
        head.ghash = prev
        head.mac = hmac.new(
            keyring.current, f"head\n{last}\n{prev}".encode(), hashlib.sha256
        ).hexdigest()


async def test_rewrite_by_an_insider_with_the_key_is_named_by_the_anchor(
    api: Api, app: FastAPI, tmp_path: Path
) -> None:
    anchors = tmp_path / "anchors.jsonl"
    app.state.settings.audit_anchor_file = str(anchors)
    a, _b, _c = await _hazards(api)
    keyring = audit_keys.current_keyring()
    await seal_all(app.state.sessionmaker, keyring)
    await anchor_head(app.state.sessionmaker, keyring, str(anchors), app.state.clock)
    assert (await _verify(api))["ok"] is True

    def keyed(row: AuditRow, text: str) -> str:
        return hmac.new(
            keyring.current, f"{row.key_id}\n{text}".encode(), hashlib.sha256
        ).hexdigest()

    await _rewrite_chain(app, a, hasher=keyed)
    await _reseal_from(app, keyring)
    bad = await _verify(api)
    assert bad["ok"] is False and bad["problem"] == "anchor_mismatch", bad
    assert bad["anchor"] == 1 and bad["gseq"] == 9 and "锚点 1" in bad["reason"]
    assert bad["rows_checked"] == bad["sealed_rows"] == 9  # everything in the database holds


async def test_anchor_file_edited_is_named(api: Api, app: FastAPI, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    app.state.settings.audit_anchor_file = str(anchors)
    await _hazards(api, 1)
    keyring = audit_keys.current_keyring()
    await seal_all(app.state.sessionmaker, keyring)
    await anchor_head(app.state.sessionmaker, keyring, str(anchors), app.state.clock)
    line = json.loads(anchors.read_text())
    anchors.write_text(json.dumps(line | {"gseq": 2}) + "\n")
    bad = await _verify(api)
    assert bad["problem"] == "anchor_invalid" and bad["anchor"] == 1, bad


async def _delete_hazard(app: FastAPI, hazard_id: str) -> list[int]:
    """Delete the hazard with its whole audit chain; returns the chain's global numbers."""
    async with app.state.sessionmaker() as session, session.begin():
        gseqs = [r.gseq for r in await _chain(session, hazard_id)]
        await session.execute(delete(AuditRow).where(AuditRow.entity_id == hazard_id))
        await session.execute(delete(Hazard).where(Hazard.id == hazard_id))
    assert all(g is not None for g in gseqs)
    return [g for g in gseqs if g is not None]


@pytest.mark.parametrize("which", [0, 2], ids=["first", "last"])
async def test_deleted_hazard_with_its_whole_chain_is_named(
    api: Api, app: FastAPI, which: int
) -> None:
    ids = await _hazards(api)
    assert (await _verify(api))["ok"] is True  # seals all nine rows
    gseqs = await _delete_hazard(app, ids[which])
    bad = await _verify(api)
    assert bad["ok"] is False and bad["problem"] == "global_gap", bad
    assert bad["missing_gseq"] == [min(gseqs), max(gseqs)]
    assert "删除" in bad["reason"]


async def test_status_changed_without_an_audit_row_is_named(api: Api, app: FastAPI) -> None:
    a, _b, _c = await _hazards(api)
    assert (await _verify(api))["ok"] is True
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(Hazard).where(Hazard.id == a).values(status="closed"))
    bad = await _verify(api)
    assert bad["ok"] is False and bad["problem"] == "state_differs", bad
    assert bad["chain_key"] == f"hazard:{a}" and bad["seq"] == 3 and bad["fields"] == ["status"]
    assert "status" in bad["reason"]


async def test_rotated_keys_keep_old_rows_verifying(api: Api, app: FastAPI) -> None:
    old = audit_keys.current_keyring()
    await _hazards(api, 1)
    new_key = b"k2-" + b"x" * 40
    audit_keys.install(audit_keys.Keyring("k2", old.keys | {"k2": new_key}))
    try:
        await _hazards(api, 1)
        assert (await _verify(api))["ok"] is True
        async with app.state.sessionmaker() as session:
            used = set(await session.scalars(select(AuditRow.key_id)))
        assert used == {old.current_id, "k2"}
        audit_keys.install(audit_keys.Keyring("k2", {"k2": new_key}))  # old key forgotten
        bad = await _verify(api)
        assert bad["problem"] == "unknown_key" and old.current_id in bad["reason"], bad
    finally:
        audit_keys.install(old)


async def test_legacy_rows_verify_and_are_sealed(api: Api, app: FastAPI) -> None:
    """Rows from before keys (as migration 0005 leaves them: key id `legacy`, plain SHA-256)."""
    a, _b, _c = await _hazards(api)
    async with app.state.sessionmaker() as session, session.begin():
        rows = await _chain(session, a)
        prev = rows[0].prev_hash
        for row in rows:
            row.key_id, row.prev_hash = audit_keys.LEGACY, prev
            row.hash = prev = _sha256(row, _canonical(row, prev))
        hazard = await session.get(Hazard, a)
        assert hazard is not None
        hazard.audit_head = prev
    ok = await _verify(api)
    assert ok["ok"] is True and ok["sealed_rows"] == 9, ok
    # Once sealed, a legacy row cannot be rewritten without the key either.
    await _rewrite_chain(app, a, hasher=_sha256)
    assert (await _verify(api))["problem"] == "global_mismatch"


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
    await _hazards(api, 1)
    await sealer.tick()
    await _hazards(api, 1)
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
    assert _canonical(row, "p") == row_message(
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
        await _hazards(api, 1)
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


async def test_rows_from_before_migration_0005_still_verify(database_url: str) -> None:
    """Rows hashed the old way (plain SHA-256) survive the upgrade as `legacy`, verify, and
    are sealed into the keyed global chain."""
    from datetime import UTC, datetime

    from services.hazard_api.audit.service import verify
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
        row.hash = prev = _sha256(row, _canonical(row, prev))
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
