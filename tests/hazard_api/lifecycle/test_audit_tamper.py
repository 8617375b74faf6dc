"""Tamper evidence against a database administrator (#17 Build 8): each tampering from the
issue is named by GET /audit/verify; untouched data verifies clean.

The attacker helpers here work on the rows the way someone with SQL access would, without this
service's code: plain SHA-256 over the canonical row (what the chain used to be), or, for the
insider who also holds the audit key, HMAC over everything including the global chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, update

from services.hazard_api.audit import keys as audit_keys
from services.hazard_api.audit.models import AuditRow, AuditSeal
from services.hazard_api.audit.sealer import anchor_head, seal_all
from services.hazard_api.hazards.models import Hazard
from tests.hazard_api.lifecycle.audit_forgery import (
    canonical,
    chain,
    hazards,
    rewrite_chain,
    sha256,
    verify,
)
from tests.hazard_api.lifecycle.conftest import Api


async def test_untouched_data_verifies_clean(api: Api, app: FastAPI, tmp_path: Path) -> None:
    app.state.settings.audit_anchor_file = str(tmp_path / "anchors.jsonl")
    await hazards(api, 2)
    ok = await verify(api)  # seals what is pending first
    assert ok["ok"] is True and ok["rows_checked"] == ok["sealed_rows"] == 6, ok
    keyring = audit_keys.current_keyring()
    anchor = await anchor_head(
        app.state.sessionmaker, keyring, app.state.settings.audit_anchor_file, app.state.clock
    )
    assert anchor is not None and anchor.gseq == 6
    await hazards(api, 1)
    again = await verify(api)
    assert again["ok"] is True and again["sealed_rows"] == 9 and again["anchors_checked"] == 1
    async with app.state.sessionmaker() as session:
        keyed = await session.scalars(select(AuditRow.key_id).distinct())
        assert list(keyed) == [keyring.current_id] and keyring.current_id != "legacy"


@pytest.mark.parametrize("downgrade", [False, True], ids=["same-key-id", "marked-legacy"])
async def test_rewrite_recomputed_with_plain_sha256_is_named(
    api: Api, app: FastAPI, downgrade: bool
) -> None:
    a, _b, _c = await hazards(api)
    assert (await verify(api))["ok"] is True
    bad_id = await rewrite_chain(
        app, a, hasher=sha256, key_id=audit_keys.LEGACY if downgrade else None
    )
    bad = await verify(api)
    assert bad["ok"] is False and bad["bad_row_id"] == bad_id, bad
    assert bad["chain_key"] == f"hazard:{a}" and bad["seq"] == 2
    # Without the key the row's HMAC fails; a row passed off as pre-key (legacy, plain
    # SHA-256) holds on its own, but legacy rows all precede the first keyed one.
    assert bad["problem"] == ("legacy_forged" if downgrade else "hmac_mismatch"), bad
    assert "篡改" in bad["reason"] or "伪造" in bad["reason"]


async def test_a_row_forged_the_old_way_is_never_sealed_and_named(api: Api, app: FastAPI) -> None:
    a, _b, _c = await hazards(api)
    assert (await verify(api))["ok"] is True
    async with app.state.sessionmaker() as session, session.begin():
        template = (await chain(session, a))[0]
        forged = AuditRow(
            **{
                c.key: getattr(template, c.key)
                for c in AuditRow.__table__.columns
                if c.key not in ("id", "gseq", "gkey_id", "ghash")
            }
        )
        forged.chain_key, forged.entity_id, forged.key_id = "hazard:forged", "forged", "legacy"
        forged.prev_hash = hashlib.sha256(b"duban-audit:hazard:forged").hexdigest()
        forged.hash = sha256(forged, canonical(forged, forged.prev_hash))
        session.add(forged)
    bad = await verify(api)
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
    a, _b, _c = await hazards(api)
    keyring = audit_keys.current_keyring()
    await seal_all(app.state.sessionmaker, keyring)
    await anchor_head(app.state.sessionmaker, keyring, str(anchors), app.state.clock)
    assert (await verify(api))["ok"] is True

    def keyed(row: AuditRow, text: str) -> str:
        return hmac.new(
            keyring.current, f"{row.key_id}\n{text}".encode(), hashlib.sha256
        ).hexdigest()

    await rewrite_chain(app, a, hasher=keyed)
    await _reseal_from(app, keyring)
    bad = await verify(api)
    assert bad["ok"] is False and bad["problem"] == "anchor_mismatch", bad
    assert bad["anchor"] == 1 and bad["gseq"] == 9 and "锚点 1" in bad["reason"]
    assert bad["rows_checked"] == bad["sealed_rows"] == 9  # everything in the database holds


async def test_anchor_file_edited_is_named(api: Api, app: FastAPI, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    app.state.settings.audit_anchor_file = str(anchors)
    await hazards(api, 1)
    keyring = audit_keys.current_keyring()
    await seal_all(app.state.sessionmaker, keyring)
    await anchor_head(app.state.sessionmaker, keyring, str(anchors), app.state.clock)
    line = json.loads(anchors.read_text())
    anchors.write_text(json.dumps(line | {"gseq": 2}) + "\n")
    bad = await verify(api)
    assert bad["problem"] == "anchor_invalid" and bad["anchor"] == 1, bad


async def _delete_hazard(app: FastAPI, hazard_id: str) -> list[int]:
    """Delete the hazard with its whole audit chain; returns the chain's global numbers."""
    async with app.state.sessionmaker() as session, session.begin():
        gseqs = [r.gseq for r in await chain(session, hazard_id)]
        await session.execute(delete(AuditRow).where(AuditRow.entity_id == hazard_id))
        await session.execute(delete(Hazard).where(Hazard.id == hazard_id))
    assert all(g is not None for g in gseqs)
    return [g for g in gseqs if g is not None]


@pytest.mark.parametrize("which", [0, 2], ids=["first", "last"])
async def test_deleted_hazard_with_its_whole_chain_is_named(
    api: Api, app: FastAPI, which: int
) -> None:
    ids = await hazards(api)
    assert (await verify(api))["ok"] is True  # seals all nine rows
    gseqs = await _delete_hazard(app, ids[which])
    bad = await verify(api)
    assert bad["ok"] is False and bad["problem"] == "global_gap", bad
    assert bad["missing_gseq"] == [min(gseqs), max(gseqs)]
    assert "删除" in bad["reason"]


async def test_status_changed_without_an_audit_row_is_named(api: Api, app: FastAPI) -> None:
    a, _b, _c = await hazards(api)
    assert (await verify(api))["ok"] is True
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(Hazard).where(Hazard.id == a).values(status="closed"))
    bad = await verify(api)
    assert bad["ok"] is False and bad["problem"] == "state_differs", bad
    assert bad["chain_key"] == f"hazard:{a}" and bad["seq"] == 3 and bad["fields"] == ["status"]
    assert "status" in bad["reason"]
