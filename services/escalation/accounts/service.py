"""Recording `org.account_changed` and reading it back for each request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.accounts.models import AccountState
from shared.consumer import PermanentError
from shared.contract import AccountChanged, Envelope


async def record(changed: AccountChanged, *, session: AsyncSession, at: datetime) -> None:
    """The latest state wins: the events of one account share a partition (key = user id)."""
    await session.merge(
        AccountState(
            user_id=changed.user_id[:100],
            active=changed.active,
            tokens_valid_from=changed.tokens_valid_from,
            changed_at=at,
        )
    )


async def apply_org_event(session: AsyncSession, envelope: Envelope) -> None:
    """Consumer handler for `org.events`: only account changes matter here."""
    if envelope.type != "org.account_changed":
        return
    try:
        payload = envelope.typed_payload()
    except ValueError as exc:
        raise PermanentError(str(exc)) from exc
    if isinstance(payload, AccountChanged):
        await record(payload, session=session, at=envelope.occurred_at)


async def state_of(user_id: str, *, session: AsyncSession) -> AccountState | None:
    return await session.get(AccountState, user_id[:100])
