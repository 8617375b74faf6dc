"""The reporting service's copy of the directory's units (from `org.events`): a document names
an enterprise by its unified social credit code, which hazard and accident events do not carry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.reporting.db import Base
from shared.contract import Envelope, UnitUpserted


class UnitCopy(Base):
    __tablename__ = "units"

    unit_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    area_code: Mapped[str] = mapped_column(String(12))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    industry_code: Mapped[str | None] = mapped_column(String(5))


async def apply_org_event(session: AsyncSession, envelope: Envelope) -> None:
    """Keep the latest state of each unit; other directory events do not concern reporting."""
    if envelope.type != "org.unit_upserted":
        return
    unit = UnitUpserted.model_validate(envelope.payload)
    row = await session.get(UnitCopy, unit.unit_id)
    if row is None:
        row = UnitCopy(unit_id=unit.unit_id)
        session.add(row)
    row.kind = unit.kind.value
    row.name = unit.name
    row.area_code = unit.area_code
    row.credit_code = unit.credit_code
    row.industry_code = unit.industry_code


async def unit_snapshot(session: AsyncSession, unit_id: str) -> dict[str, Any] | None:
    row = await session.get(UnitCopy, unit_id)
    if row is None:
        return None
    return {
        "unit_id": row.unit_id,
        "name": row.name,
        "area_code": row.area_code,
        "credit_code": row.credit_code,
        "industry_code": row.industry_code,
    }
