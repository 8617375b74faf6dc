"""A unit's links (the departments supervising an enterprise, the industries a department
regulates) and its full-state org event."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.models import RegulatedIndustry, SupervisingDepartment, Unit
from services.hazard_api.directory.schemas import UnitOut
from shared.clock import Clock
from shared.contract import (
    ORG_EVENTS,
    EnterpriseStatus,
    Envelope,
    Producer,
    UnitKind,
    UnitUpserted,
)
from shared.outbox import add_event


@dataclass(frozen=True)
class UnitLinks:
    """A unit's rows in the link tables: the departments supervising an enterprise, the
    industries a department regulates."""

    departments: list[str]
    industries: list[str]


async def emit(
    session: AsyncSession, payload: BaseModel, *, aggregate_id: str, clock: Clock
) -> None:
    """Queue an org event in the caller's transaction (topic org.events, key = entity id)."""
    envelope = Envelope.of(
        payload, aggregate_id=aggregate_id, producer=Producer.HAZARD_API, occurred_at=clock.now()
    )
    await add_event(session, outbox_tables.outbox, envelope, ORG_EVENTS, now=clock.now())


async def department_ids(session: AsyncSession, unit_id: str) -> list[str]:
    rows = await session.scalars(
        select(SupervisingDepartment.department_id)
        .where(SupervisingDepartment.enterprise_id == unit_id)
        .order_by(SupervisingDepartment.department_id)
    )
    return list(rows)


async def links_of(session: AsyncSession, unit_ids: list[str]) -> dict[str, UnitLinks]:
    links = {i: UnitLinks([], []) for i in unit_ids}
    if unit_ids:
        for enterprise_id, department_id in await session.execute(
            select(SupervisingDepartment.enterprise_id, SupervisingDepartment.department_id)
            .where(SupervisingDepartment.enterprise_id.in_(unit_ids))
            .order_by(SupervisingDepartment.department_id)
        ):
            links[enterprise_id].departments.append(department_id)
        for department_id, code in await session.execute(
            select(RegulatedIndustry.department_id, RegulatedIndustry.industry_code)
            .where(RegulatedIndustry.department_id.in_(unit_ids))
            .order_by(RegulatedIndustry.industry_code)
        ):
            links[department_id].industries.append(code)
    return links


async def unit_links(session: AsyncSession, unit_id: str) -> UnitLinks:
    return (await links_of(session, [unit_id]))[unit_id]


def unit_event(unit: Unit, links: UnitLinks) -> UnitUpserted:
    return UnitUpserted(
        unit_id=unit.id,
        kind=UnitKind(unit.kind),
        name=unit.name,
        area_code=unit.area_code,
        parent_id=unit.parent_id,
        is_safety_office=unit.is_safety_office,
        credit_code=unit.credit_code,
        industry_code=unit.industry_code,
        industry_name=unit.industry_name,
        territorial_unit_id=unit.territorial_unit_id,
        supervising_department_ids=links.departments,
        high_risk=unit.high_risk,
        status=EnterpriseStatus(unit.status) if unit.status else None,
        regulated_industry_codes=links.industries,
    )


def unit_out(unit: Unit, links: UnitLinks) -> UnitOut:
    return UnitOut(
        id=unit.id,
        township_id=unit.township_id,
        **unit_event(unit, links).model_dump(exclude={"unit_id"}),
    )


async def write_links(
    session: AsyncSession, unit_id: str, departments: list[str], industries: list[str]
) -> UnitLinks:
    await session.execute(
        delete(SupervisingDepartment).where(SupervisingDepartment.enterprise_id == unit_id)
    )
    await session.execute(
        delete(RegulatedIndustry).where(RegulatedIndustry.department_id == unit_id)
    )
    links = UnitLinks(sorted(set(departments)), sorted(set(industries)))
    session.add_all(
        SupervisingDepartment(enterprise_id=unit_id, department_id=d) for d in links.departments
    )
    session.add_all(
        RegulatedIndustry(department_id=unit_id, industry_code=c) for c in links.industries
    )
    return links
