"""The demo county's 停产整顿 orders, written as `POST /suspensions` writes them: the county
office's account, the enterprise as admission finds it, the authority table, the order's own
creation (the order, the enterprise marked suspended with its org event) and its event. An
enterprise is never marked suspended without its order.

Not audited, like the rest of the demo county (seed.py: invented data whose history starts
after seeding; a seeding process may not hold the service's audit keys): the order's audit
chain starts with its first change."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.models import User, UserRole
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.config import Settings
from services.hazard_api.db import outbox_tables
from services.hazard_api.hazards.admission import intake_lookup
from services.hazard_api.items.kernel import Context
from services.hazard_api.suspensions import flows
from services.hazard_api.suspensions.kind import SUSPENSION, envelope_of
from services.hazard_api.suspensions.schemas import OrderIn
from services.hazard_api.suspensions.states import ORIGIN, Action
from shared.clock import Clock
from shared.contract import ACCIDENT_EVENTS, SuspensionEventType
from shared.outbox import add_event


async def order_for_demo(
    data: OrderIn, *, session: AsyncSession, clock: Clock, by_username: str
) -> None:
    """Adds the order in the seeding transaction (ValueError: demo data that does not fit)."""
    row = await session.scalar(select(User).where(User.username == by_username))
    if row is None:
        raise ValueError(f"demo data: no account {by_username} to order {data.unit_id}")
    user = AuthUser(
        id=row.id,
        username=row.username,
        role=UserRole(row.role),
        unit_id=row.unit_id,
        person_id=row.person_id,
        scopes=frozenset(),
    )
    # A fresh account: a token of any time passes (no tokens_valid_from yet).
    found = await intake_lookup(session=session, who=user, unit_id=data.unit_id, claims={})
    if found is None or found.unit is None:
        raise ValueError(f"demo data: {by_username} cannot order {data.unit_id}")
    SUSPENSION.authority.guard(Action.ORDER, status=None, origin=ORIGIN, role=user.role)
    # The order's creation reads no setting, and seeding has none of the service's at hand.
    now = clock.now()
    s = await flows.new_order(
        data, found.unit, Context(session, user, now, Settings.model_construct())
    )
    envelope = envelope_of(s, SuspensionEventType.ORDERED, user, now, data.reason)
    await add_event(session, outbox_tables.outbox, envelope, ACCIDENT_EVENTS, now=now)
