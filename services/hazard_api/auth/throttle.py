"""Login throttling: failed logins counted per account and per client address, in the
database (several workers count the same), over a fixed window timed by the injected clock.

A blocked key answers 429 even to the right password, until its window ends; a success
clears the account's count (not the address's: one right password must not unlock a
guessing run from that address against other accounts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.models import LoginFailure


@dataclass(frozen=True)
class Limits:
    per_account: int
    per_address: int
    window: timedelta


def keys(username: str, address: str | None) -> tuple[str, str | None]:
    account = "account:" + username.strip().lower()[:60]
    return account, ("address:" + address[:60]) if address else None


def _limit(key: str, limits: Limits) -> int:
    return limits.per_account if key.startswith("account:") else limits.per_address


async def blocked_for(
    session: AsyncSession, login_keys: tuple[str, str | None], *, limits: Limits, now: datetime
) -> int | None:
    """Seconds until a login may be tried again, or None when it may be tried now."""
    wanted = [k for k in login_keys if k is not None]
    rows = await session.scalars(select(LoginFailure).where(LoginFailure.key.in_(wanted)))
    waits = [
        math.ceil((row.window_started_at + limits.window - now).total_seconds())
        for row in rows
        if row.failures >= _limit(row.key, limits) and row.window_started_at + limits.window > now
    ]
    return max(waits) if waits else None


async def record_failure(
    session: AsyncSession, login_keys: tuple[str, str | None], *, limits: Limits, now: datetime
) -> None:
    """Counts one failure against each key; the caller commits. A concurrent first failure for
    the same key loses the insert race and is counted on the row the other one made."""
    for key in (k for k in login_keys if k is not None):
        for _attempt in range(2):
            row = await session.get(LoginFailure, key, with_for_update=True)
            if row is None:
                try:
                    async with session.begin_nested():
                        session.add(LoginFailure(key=key, failures=1, window_started_at=now))
                except IntegrityError:
                    continue
            elif row.window_started_at + limits.window <= now:
                row.failures, row.window_started_at = 1, now
            else:
                row.failures += 1
            break
    await session.flush()


async def clear_account(session: AsyncSession, account_key: str) -> None:
    await session.execute(delete(LoginFailure).where(LoginFailure.key == account_key))
