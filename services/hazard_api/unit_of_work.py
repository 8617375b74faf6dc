"""Writes that are not transitions of a supervised item (directory, accounts): one unit of work
per request, committed here rather than in the views."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.deps import SessionDep

T = TypeVar("T")


@dataclass(frozen=True)
class UnitOfWork:
    session: AsyncSession

    async def __call__(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in the request's session and commit; an error rolls all of it back."""
        result = await work(self.session)
        await self.session.commit()
        return result


async def unit_of_work(session: SessionDep) -> UnitOfWork:
    return UnitOfWork(session)


Write = Annotated[UnitOfWork, Depends(unit_of_work)]
