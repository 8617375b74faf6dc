"""The responsibility chain of a unit, read from the database through shared.responsibility."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.directory.links import links_of, unit_event
from services.hazard_api.directory.models import Person, Post, Unit
from services.hazard_api.directory.schemas import ChainLink, ChainOut
from services.hazard_api.directory.staff import portfolios, post_event
from shared.contract import UnitKind
from shared.responsibility import Directory, resolve_chain


async def load_directory(session: AsyncSession, unit_id: str) -> Directory:
    """Every unit a chain can reach (all but other enterprises) and their posts."""
    units = list(
        await session.scalars(
            select(Unit).where(or_(Unit.kind != UnitKind.ENTERPRISE.value, Unit.id == unit_id))
        )
    )
    links = await links_of(session, [u.id for u in units])
    posts = list(await session.scalars(select(Post).where(Post.unit_id.in_([u.id for u in units]))))
    unit_ids, industries = await portfolios(session, (p.id for p in posts))
    return Directory(
        [unit_event(u, links[u.id]) for u in units],
        [post_event(p, unit_ids[p.id], industries[p.id]) for p in posts],
    )


async def responsibility_chain(session: AsyncSession, unit: Unit, *, at: datetime) -> ChainOut:
    directory = await load_directory(session, unit.id)
    chain = resolve_chain(directory, unit.id, at=at)
    entries = [entry for entries in chain.values() for entry in entries]
    people = {
        p.id: p
        for p in await session.scalars(
            select(Person).where(Person.id.in_({e.person_id for e in entries}))
        )
    }
    titles = {
        post.post_id: post.title for posts in directory.posts_by_unit.values() for post in posts
    }
    links = []
    for entry in entries:
        person = people.get(entry.person_id)
        holder_unit = directory.units.get(entry.unit_id)
        department = directory.units.get(entry.department_id) if entry.department_id else None
        links.append(
            ChainLink(
                role=entry.role,
                covering_for=entry.covering_for,
                person_id=entry.person_id,
                person_name=person.name if person else None,
                mobile=person.mobile if person else None,
                post_id=entry.post_id,
                post_title=titles.get(entry.post_id),
                unit_id=entry.unit_id,
                unit_name=holder_unit.name if holder_unit else None,
                acting=entry.acting,
                department_id=entry.department_id,
                department_name=department.name if department else None,
            )
        )
    return ChainOut(unit_id=unit.id, unit_name=unit.name, links=links)
