"""The attacker's tools of the audit tamper tests: hazards to tamper with, the verify call, a
hazard's chain, and rows rewritten the way someone with SQL access would (plain SHA-256 over the
canonical row, or HMAC with a stolen key), without this service's code."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.hazards.models import Hazard
from tests.hazard_api.lifecycle.conftest import HAZARD, Api


async def hazards(api: Api, n: int = 3) -> list[str]:
    ent = api.as_("hongxing")
    ids = []
    for i in range(n):
        hid = (await ent.post("/hazards", HAZARD | {"description": f"隐患{i}"})).json()["id"]
        await ent.post(f"/hazards/{hid}/classify", {"level": "general"})
        await ent.post(f"/hazards/{hid}/start-rectification", {})
        ids.append(hid)
    return ids


async def verify(api: Api) -> dict[str, Any]:
    response = await api.as_("office").get("/audit/verify")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def chain(session: AsyncSession, hazard_id: str) -> list[AuditRow]:
    rows = await session.scalars(
        select(AuditRow).where(AuditRow.chain_key == f"hazard:{hazard_id}").order_by(AuditRow.seq)
    )
    return list(rows)


def canonical(row: AuditRow, prev: str) -> str:
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


async def rewrite_chain(
    app: FastAPI, hazard_id: str, *, hasher: Any, key_id: str | None = None
) -> int:
    """Make the hazard's second row say "major", recompute that row's and every later row's
    hash with `hasher(row, canonical text)` and move the head kept on the hazard; returns the
    rewritten row's id."""
    async with app.state.sessionmaker() as session, session.begin():
        rows = await chain(session, hazard_id)
        rows[1].after = (rows[1].after or {}) | {"level": "major"}
        prev = rows[0].hash
        for row in rows[1:]:
            if key_id is not None:
                row.key_id = key_id
            row.prev_hash = prev
            row.hash = prev = hasher(row, canonical(row, prev))
        hazard = await session.get(Hazard, hazard_id)
        assert hazard is not None
        hazard.audit_head = prev
        return rows[1].id


def sha256(_row: AuditRow, text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
