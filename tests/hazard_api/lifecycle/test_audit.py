"""The audit log: every transition hash-chained; tampering is found and the row named."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import delete, select, update

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.hazards.models import Hazard
from tests.hazard_api.lifecycle.conftest import HAZARD, Api


async def _two_hazards(api: Api) -> tuple[str, str]:
    ent = api.as_("hongxing")
    a = (await ent.post("/hazards", HAZARD)).json()["id"]
    b = (await ent.post("/hazards", HAZARD | {"description": "配电箱未接地"})).json()["id"]
    for hid in (a, b):
        await ent.post(f"/hazards/{hid}/classify", {"level": "general"})
        await ent.post(f"/hazards/{hid}/start-rectification", {})
    return a, b


async def test_tampered_audit_row_is_named_by_verify(api: Api, app: FastAPI) -> None:
    a, _b = await _two_hazards(api)
    office = api.as_("office")
    ok = await office.get("/audit/verify")
    assert ok.status_code == 200 and ok.json()["ok"] is True
    assert ok.json()["rows_checked"] == 6 and ok.json()["chains_checked"] == 2

    history = (await office.get(f"/hazards/{a}/audit")).json()
    assert [h["action"] for h in history] == [
        "hazard.reported",
        "hazard.classified",
        "hazard.rectification_started",
    ]
    assert history[1]["actor_role"] == "enterprise" and history[1]["before"]["status"] == "reported"
    target = history[1]["id"]
    async with app.state.sessionmaker() as session, session.begin():
        row = await session.get(AuditRow, target)
        assert row is not None
        await session.execute(
            update(AuditRow)
            .where(AuditRow.id == target)
            .values(after=row.after | {"level": "major"})  # someone rewrites history
        )
    bad = (await office.get("/audit/verify")).json()
    assert bad["ok"] is False and bad["bad_row_id"] == target
    assert bad["chain_key"] == f"hazard:{a}" and bad["seq"] == 2
    assert "篡改" in bad["reason"]
    # Only the county office runs the check.
    assert (await api.as_("hongxing").get("/audit/verify")).status_code == 403


async def test_deleted_last_row_is_detected_against_the_chain_head(api: Api, app: FastAPI) -> None:
    a, _b = await _two_hazards(api)
    async with app.state.sessionmaker() as session, session.begin():
        last = await session.scalar(
            select(AuditRow.id)
            .where(AuditRow.chain_key == f"hazard:{a}")
            .order_by(AuditRow.seq.desc())
        )
        await session.execute(delete(AuditRow).where(AuditRow.id == last))
    bad = (await api.as_("office").get("/audit/verify")).json()
    assert bad["ok"] is False and bad["chain_key"] == f"hazard:{a}" and bad["seq"] == 3


async def test_deleted_middle_row_breaks_the_chain_at_the_next_row(api: Api, app: FastAPI) -> None:
    a, _b = await _two_hazards(api)
    async with app.state.sessionmaker() as session, session.begin():
        rows = list(
            await session.scalars(
                select(AuditRow).where(AuditRow.chain_key == f"hazard:{a}").order_by(AuditRow.seq)
            )
        )
        await session.execute(delete(AuditRow).where(AuditRow.id == rows[1].id))
        assert await session.get(Hazard, a) is not None
    bad = (await api.as_("office").get("/audit/verify")).json()
    assert bad["ok"] is False and bad["bad_row_id"] == rows[2].id
