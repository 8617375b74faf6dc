"""`duban seed-demo`: a demo county from demo_county.yaml (idempotent: skipped if it exists)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.records import unrecorded
from services.hazard_api.auth.accounts import create_user
from services.hazard_api.auth.models import Scope, UserIn, UserRole
from services.hazard_api.auth.passwords import hash_password
from services.hazard_api.config import Settings
from services.hazard_api.db import import_models
from services.hazard_api.directory.models import Unit
from services.hazard_api.directory.people import create_person
from services.hazard_api.directory.schemas import PersonIn, PostIn, UnitIn
from services.hazard_api.directory.service import create_unit
from services.hazard_api.directory.staff import create_post
from services.hazard_api.suspensions.demo import order_for_demo
from services.hazard_api.suspensions.schemas import OrderIn
from shared.clock import Clock
from shared.contract import EnterpriseStatus, PostRole, UnitKind
from shared.db import make_sessionmaker, transaction

DEMO_FILE = Path(__file__).with_name("demo_county.yaml")
# One argon2 hash of the demo password per process: seeding stays quick in tests.
_hashes: dict[str, str] = {}


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Named(_Row):
    id: str
    name: str


class _Department(_Named):
    is_safety_office: bool = False
    regulated_industries: list[str] = []


class _Village(_Named):
    township: str


class _Order(_Row):
    """责令停产停业整顿: 文号, reason, and the account that ordered it."""

    order_no: str
    reason: str
    by: str


class _Enterprise(_Named):
    territorial: str
    industry: tuple[str, str]
    departments: list[str]
    high_risk: bool = True
    status: EnterpriseStatus = EnterpriseStatus.OPERATING
    suspension: _Order | None = None  # its open 停产整顿 order, which marks it suspended

    @model_validator(mode="after")
    def _suspended_by_an_order(self) -> _Enterprise:
        if self.status == EnterpriseStatus.SUSPENDED:
            raise ValueError(
                f"demo data: {self.id} is suspended only by its 停产整顿 order: give `suspension:`"
                " (order_no, reason, by) instead of `status: suspended`"
            )
        return self


class _Holder(_Row):
    id: str
    name: str | None = None
    mobile: str | None = None
    email: str | None = None


class _Post(_Row):
    id: str
    unit: str
    role: PostRole
    title: str
    holder: _Holder | None = None
    acting: bool = False
    portfolio_units: list[str] = []
    portfolio_industries: list[str] = []


class _User(_Row):
    username: str
    role: UserRole
    unit: str
    person: str | None = None
    scopes: list[Scope] = []


class _County(_Named):
    area_code: str


class DemoCounty(_Row):
    demo_password: str
    county: _County
    townships: list[_Named]
    villages: list[_Village]
    departments: list[_Department]
    enterprises: list[_Enterprise]
    posts: list[_Post]
    users: list[_User]


def load_demo(path: Path = DEMO_FILE) -> DemoCounty:
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    return DemoCounty.model_validate(raw)


async def seed_demo(*, session: AsyncSession, clock: Clock, demo: DemoCounty | None = None) -> bool:
    """Writes the demo county (and its org events) in the caller's transaction; its directory
    changes are not audited (invented data: its history starts after seeding).

    Returns False, writing nothing, if the county is already there.
    """
    import_models()  # the demo's 停产整顿 order refers to other domains' tables (accidents)
    with unrecorded():
        return await _seed_demo(session=session, clock=clock, demo=demo)


async def _seed_demo(*, session: AsyncSession, clock: Clock, demo: DemoCounty | None) -> bool:
    demo = demo or load_demo()
    if await session.get(Unit, demo.county.id) is not None:
        return False
    code = demo.county.area_code

    async def unit(unit_id: str, **fields: Any) -> None:
        await create_unit(
            UnitIn(area_code=code, **fields),
            session=session,
            user=None,
            clock=clock,
            unit_id=unit_id,
        )

    await unit(demo.county.id, kind=UnitKind.COUNTY, name=demo.county.name)
    for township in demo.townships:
        await unit(
            township.id, kind=UnitKind.TOWNSHIP, name=township.name, parent_id=demo.county.id
        )
    for village in demo.villages:
        await unit(village.id, kind=UnitKind.VILLAGE, name=village.name, parent_id=village.township)
    for department in demo.departments:
        await unit(
            department.id,
            kind=UnitKind.DEPARTMENT,
            name=department.name,
            parent_id=demo.county.id,
            is_safety_office=department.is_safety_office,
            regulated_industry_codes=department.regulated_industries,
        )
    for enterprise in demo.enterprises:
        await unit(
            enterprise.id,
            kind=UnitKind.ENTERPRISE,
            name=enterprise.name,
            territorial_unit_id=enterprise.territorial,
            industry_code=enterprise.industry[0],
            industry_name=enterprise.industry[1],
            supervising_department_ids=enterprise.departments,
            high_risk=enterprise.high_risk,
            status=enterprise.status,
        )
    people: set[str] = set()
    for post in demo.posts:
        holder = post.holder
        if holder is not None and holder.id not in people:
            if holder.name is None:
                raise ValueError(f"demo data: person {holder.id} first appears without a name")
            person = PersonIn(
                unit_id=post.unit, name=holder.name, mobile=holder.mobile, email=holder.email
            )
            await create_person(
                person, session=session, user=None, clock=clock, person_id=holder.id
            )
            people.add(holder.id)
        data = PostIn(
            unit_id=post.unit,
            role=post.role,
            title=post.title,
            holder_person_id=holder.id if holder else None,
            acting=post.acting,
            portfolio_unit_ids=post.portfolio_units,
            portfolio_industry_codes=post.portfolio_industries,
        )
        await create_post(data, session=session, user=None, clock=clock, post_id=post.id)
    if demo.demo_password not in _hashes:
        _hashes[demo.demo_password] = await hash_password(demo.demo_password)
    for user in demo.users:
        account = UserIn(
            username=user.username,
            password=demo.demo_password,
            role=user.role,
            unit_id=user.unit,
            person_id=user.person,
            scopes=user.scopes,
        )
        await create_user(
            account, session=session, clock=clock, password_hash=_hashes[demo.demo_password]
        )
    for enterprise in demo.enterprises:
        if (order := enterprise.suspension) is not None:
            ordered = OrderIn(unit_id=enterprise.id, order_no=order.order_no, reason=order.reason)
            await order_for_demo(ordered, session=session, clock=clock, by_username=order.by)
    return True


async def seed_demo_database(
    settings: Settings, *, if_empty: bool = False, clock: Clock | None = None
) -> bool:
    """The CLI's entry: one transaction against the configured database (migrated already).

    `if_empty`: write nothing if the directory holds any unit (a real county's directory).
    """
    engine = settings.make_engine()
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            if if_empty and await session.scalar(select(Unit.id).limit(1)) is not None:
                return False
            return await seed_demo(session=session, clock=clock or settings.make_clock())
    finally:
        await engine.dispose()
