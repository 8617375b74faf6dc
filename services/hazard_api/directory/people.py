"""People in the directory (name, mobile, unit), scoped to the caller and audited."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.scope import in_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.directory.guards import (
    _COUNTY_LEADER_FORBIDDEN,
    _audit,
    _is_county_leader,
    _keeps_county,
    _unit_in_scope,
)
from services.hazard_api.directory.links import emit
from services.hazard_api.directory.models import Person
from services.hazard_api.directory.schemas import PersonIn, PersonOut, PersonPatch
from services.hazard_api.errors import Conflict, FieldError, Forbidden, NotFound
from shared.clock import Clock
from shared.contract import PersonUpserted


# ---------------------------------------------------------------- people
def person_event(person: Person) -> PersonUpserted:
    return PersonUpserted(
        person_id=person.id,
        name=person.name,
        mobile=person.mobile,
        email=person.email,
        active=person.active,
    )


async def _ensure_mobile_free(
    session: AsyncSession, user: AuthUser | None, mobile: str | None, person_id: str
) -> None:
    """Among the people the caller may see only: a number registered outside their scope must
    not answer differently from a free one (the database's key is per unit, see Person)."""
    if mobile is None:
        return
    query = select(Person.id).where(Person.mobile == mobile, Person.id != person_id)
    if user is not None:
        query = query.where(in_scope(user, Person.unit_id))
    if await session.scalar(query.limit(1)) is not None:
        raise Conflict("该手机号码已登记给其他人员")


def _person_state(person: Person) -> dict[str, Any]:
    return person_event(person).model_dump(mode="json", exclude={"person_id"}) | {
        "unit_id": person.unit_id
    }


async def get_person(person_id: str, *, session: AsyncSession, user: AuthUser) -> Person:
    person = await session.scalar(
        select(Person).where(Person.id == person_id, in_scope(user, Person.unit_id))
    )
    if person is None:
        raise NotFound("人员不存在")
    return person


async def list_people(
    *,
    session: AsyncSession,
    user: AuthUser,
    unit_id: str | None = None,
    name_contains: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Person]:
    query = select(Person).where(in_scope(user, Person.unit_id))
    if unit_id is not None:
        query = query.where(Person.unit_id == unit_id)
    if name_contains:
        query = query.where(Person.name.contains(name_contains, autoescape=True))
    query = query.order_by(Person.name, Person.id).limit(limit).offset(offset)
    return list(await session.scalars(query))


async def create_person(
    data: PersonIn,
    *,
    session: AsyncSession,
    user: AuthUser | None,
    clock: Clock,
    person_id: str | None = None,
) -> Person:
    new_id = person_id or str(uuid.uuid4())
    await _unit_in_scope(session, user, "unit_id", data.unit_id)
    await _ensure_mobile_free(session, user, data.mobile, new_id)
    if await session.get(Person, new_id) is not None:
        raise Conflict("人员编号已存在")
    now = clock.now()
    person = Person(id=new_id, created_at=now, updated_at=now, **data.model_dump())
    session.add(person)
    await session.flush()
    await emit(session, person_event(person), aggregate_id=person.id, clock=clock)
    await _audit(
        session, user, "directory.person_created", person.id, None, _person_state(person), now
    )
    return person


async def update_person(
    person_id: str, patch: PersonPatch, *, session: AsyncSession, user: AuthUser, clock: Clock
) -> Person:
    person = await get_person(person_id, session=session, user=user)
    if not _keeps_county(user) and await _is_county_leader(session, person.id):
        raise Forbidden(_COUNTY_LEADER_FORBIDDEN)
    before = _person_state(person)
    changes = patch.model_dump(exclude_unset=True)
    for required in ("unit_id", "name", "active"):
        if required in changes and changes[required] is None:
            raise FieldError(required, "此项不能为空")
    if changes.get("unit_id") is not None:
        await _unit_in_scope(session, user, "unit_id", changes["unit_id"])
    if "mobile" in changes:
        await _ensure_mobile_free(session, user, changes["mobile"], person.id)
    for field, value in changes.items():
        setattr(person, field, value)
    person.updated_at = clock.now()
    await session.flush()
    await emit(session, person_event(person), aggregate_id=person.id, clock=clock)
    await _audit(
        session,
        user,
        "directory.person_updated",
        person.id,
        before,
        _person_state(person),
        person.updated_at,
    )
    return person


def person_out(person: Person) -> PersonOut:
    return PersonOut.model_validate(person)
