"""Signing in: the throttle, the password check and the counters, one transaction per try."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth import throttle
from services.hazard_api.auth.models import User
from services.hazard_api.auth.service import authenticate
from services.hazard_api.config import Settings
from shared.clock import Clock


class TooManyFailures(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def limits_of(settings: Settings) -> throttle.Limits:
    return throttle.Limits(
        per_account=settings.login_failures_per_account,
        per_address=settings.login_failures_per_address,
        window=timedelta(minutes=settings.login_failure_window_minutes),
    )


async def sign_in(
    username: str,
    password: str,
    address: str | None,
    *,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
) -> User | None:
    """The account, or None for a wrong name or password (counted); raises TooManyFailures
    while the account or the address is blocked, before the password is looked at, so the
    right password is refused as well during a block."""
    readable = username.isprintable() and len(username) <= 50
    keys = throttle.keys(username if readable else "?", address)
    limits = limits_of(settings)
    wait = await throttle.blocked_for(session, keys, limits=limits, now=clock.now())
    if wait is not None:
        raise TooManyFailures(wait)
    user = await authenticate(username, password, session=session) if readable else None
    if user is None:
        await throttle.record_failure(session, keys, limits=limits, now=clock.now())
    else:
        await throttle.clear_account(session, keys[0])
    await session.commit()
    return user
