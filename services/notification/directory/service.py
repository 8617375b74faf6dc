"""Directory read model: database only."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.directory.models import DirPerson, DirPost, DirUnit, ServiceState
from shared.contract import (
    AccountChanged,
    PersonUpserted,
    PostRemoved,
    PostUpserted,
    UnitUpserted,
)
from shared.responsibility import Directory

DIRECTORY_VERSION = "directory_version"
DIRECTORY_EPOCH = "directory_epoch"


@dataclass(frozen=True)
class DirectorySnapshot:
    version: int
    directory: Directory
    persons: dict[str, PersonUpserted]


async def _bump_version(*, session: AsyncSession) -> None:
    result = await session.execute(
        update(ServiceState)
        .where(ServiceState.key == DIRECTORY_VERSION)
        .values(version=ServiceState.version + 1)
    )
    if getattr(result, "rowcount", 0) == 0:
        session.add(ServiceState(key=DIRECTORY_VERSION, value="", version=1))
        await session.flush()


async def upsert_unit(unit: UnitUpserted, *, session: AsyncSession) -> None:
    await session.merge(DirUnit(unit_id=unit.unit_id, payload=unit.model_dump(mode="json")))
    await _bump_version(session=session)


async def upsert_person(person: PersonUpserted, *, session: AsyncSession) -> None:
    await session.merge(
        DirPerson(person_id=person.person_id, payload=person.model_dump(mode="json"))
    )
    await _bump_version(session=session)


async def upsert_post(post: PostUpserted, *, session: AsyncSession) -> None:
    await session.merge(
        DirPost(post_id=post.post_id, unit_id=post.unit_id, payload=post.model_dump(mode="json"))
    )
    await _bump_version(session=session)


async def remove_post(removed: PostRemoved, *, session: AsyncSession) -> None:
    await session.execute(delete(DirPost).where(DirPost.post_id == removed.post_id))
    await _bump_version(session=session)


@dataclass(frozen=True)
class AccountState:
    """What hazard_api last said about a login account (no row: nothing said, accept)."""

    active: bool
    tokens_valid_from: datetime | None


def _account_key(user_id: str) -> str:
    return "account:" + user_id[:90]


async def record_account(changed: AccountChanged, *, session: AsyncSession) -> None:
    """Kept as a small fact per account; the directory snapshot does not change."""
    valid_from = changed.tokens_valid_from
    value = json.dumps(
        {"active": changed.active, "from": valid_from.isoformat() if valid_from else None}
    )
    await session.merge(ServiceState(key=_account_key(changed.user_id), value=value, version=0))


async def account_state(user_id: str, *, session: AsyncSession) -> AccountState | None:
    state = await session.get(ServiceState, _account_key(user_id))
    if state is None:
        return None
    facts = json.loads(state.value)
    valid_from = datetime.fromisoformat(facts["from"]) if facts.get("from") else None
    return AccountState(active=bool(facts.get("active")), tokens_valid_from=valid_from)


async def directory_version(*, session: AsyncSession) -> int:
    version = await session.scalar(
        select(ServiceState.version).where(ServiceState.key == DIRECTORY_VERSION)
    )
    return version or 0


async def load_snapshot(*, session: AsyncSession) -> DirectorySnapshot:
    version = await directory_version(session=session)
    units = [UnitUpserted.model_validate(p) for p in await session.scalars(select(DirUnit.payload))]
    posts = [PostUpserted.model_validate(p) for p in await session.scalars(select(DirPost.payload))]
    persons = [
        PersonUpserted.model_validate(p) for p in await session.scalars(select(DirPerson.payload))
    ]
    return DirectorySnapshot(
        version=version,
        directory=Directory(units, posts),
        persons={p.person_id: p for p in persons},
    )


class SnapshotCache:
    """Reloads the directory only when an org event changed it."""

    def __init__(self) -> None:
        self._snapshot: DirectorySnapshot | None = None

    async def get(self, *, session: AsyncSession) -> DirectorySnapshot:
        version = await directory_version(session=session)
        if self._snapshot is None or self._snapshot.version != version:
            self._snapshot = await load_snapshot(session=session)
        return self._snapshot


async def read_model_epoch(*, session: AsyncSession) -> str:
    """An id made when this database was first used: an empty database gets a new one,
    so the read model's consumer group is new and replays `org.events` from the start."""
    state = await session.get(ServiceState, DIRECTORY_EPOCH)
    if state is None:
        state = ServiceState(key=DIRECTORY_EPOCH, value=uuid.uuid4().hex[:12], version=0)
        session.add(state)
        await session.flush()
    return state.value
