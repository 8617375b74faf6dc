"""An enterprise of a campaign that is under an open 停产整顿 order (责令停产停业整顿, not yet
resumed): its restart is decided by that order's own 复工复产验收, never by the campaign.

Such an enterprise stays in the campaign's scope (fixed at opening: the order may end while
the campaign runs) but is shown as 停产整顿中 with its 文号; the campaign does not decide on
it, does not list it as 未验收 nor chase it in a 催办 (the order has its own steps: the
enterprise applies, the township reviews, the team accepts), and its restart does not hold
up the campaign's end. Read when asked, not copied onto the campaign's rows: the order opens
and ends in its own domain, which never writes a campaign's rows. Once the order is resumed
the enterprise is an ordinary one of the campaign again (pending until accepted), as is one
whose order ended before the campaign opened."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.campaigns.models import CampaignEnterprise
from services.hazard_api.suspensions.models import Suspension
from shared.contract import SuspensionStatus

UNDER_ORDER_LABEL = "停产整顿中"


@dataclass(frozen=True)
class OpenOrder:
    suspension_id: str
    order_no: str  # 文号


def under_open_order() -> ColumnElement[bool]:
    """True for a campaign row whose enterprise has an open order (a query's condition)."""
    return exists().where(
        Suspension.unit_id == CampaignEnterprise.unit_id,
        Suspension.status != SuspensionStatus.RESUMED.value,
    )


async def open_orders(session: AsyncSession, unit_ids: Iterable[str]) -> dict[str, OpenOrder]:
    """unit id → its open order (an enterprise has at most one: a second order is refused)."""
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(Suspension.unit_id, Suspension.id, Suspension.order_no).where(
            Suspension.unit_id.in_(ids), Suspension.status != SuspensionStatus.RESUMED.value
        )
    )
    return {unit_id: OpenOrder(sid, order_no) for unit_id, sid, order_no in rows}


def refusal(unit_name: str, order: OpenOrder) -> str:
    """The 409 of a campaign's decision (passed or not) on an enterprise under an open order."""
    return (
        f"{unit_name}正在停产停业整顿（{order.order_no}），须经该责令的复工复产验收合格后方可"
        "恢复生产，不在本次复工复产验收中验收"
    )
