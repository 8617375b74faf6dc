"""An enterprise of a campaign that has a 停产整顿 order (责令停产停业整顿): its restart is
decided by that order's own 复工复产验收, never by the campaign.

Such an enterprise stays in the campaign's scope (fixed at opening: the order may end while
the campaign runs). While the order is open it is shown as 停产整顿中 with its 文号; the
campaign does not decide on it, does not list it as 未验收 nor chase it in a 催办 (the order
has its own steps: the enterprise applies, the township reviews, the team accepts), and its
restart does not hold up the campaign's end. Once the order's acceptance passed after the
campaign opened, the enterprise has been accepted for this restart already: it counts as
accepted and is not asked to pass a second time. One whose order was accepted before the
campaign opened is an ordinary enterprise of it (the holiday came after that acceptance).
Read when asked, not copied onto the campaign's rows: the order opens and ends in its own
domain, which never writes a campaign's rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.campaigns.models import Campaign, CampaignEnterprise
from services.hazard_api.suspensions.models import Suspension
from shared.contract import SuspensionStatus

UNDER_ORDER_LABEL = "停产整顿中"
ACCEPTED_BY_ORDER_LABEL = "停产整顿复工验收合格"  # the page adds its 文号
_RESUMED = SuspensionStatus.RESUMED.value


@dataclass(frozen=True)
class OpenOrder:
    """The order that decides an enterprise's restart in a campaign: open, or `resumed` after
    an acceptance that passed while the campaign ran."""

    suspension_id: str
    order_no: str  # 文号
    resumed: bool = False


def _opened_at() -> ColumnElement[datetime]:
    return (
        select(Campaign.opened_at)
        .where(Campaign.id == CampaignEnterprise.campaign_id)
        .correlate_except(Campaign)  # the campaign row of the query two levels out
        .scalar_subquery()
    )


def _accepted_in_campaign() -> ColumnElement[bool]:
    return and_(Suspension.status == _RESUMED, Suspension.accepted_at > _opened_at())


def under_open_order() -> ColumnElement[bool]:
    """True for a campaign row whose enterprise has an open order (a query's condition)."""
    return exists().where(
        Suspension.unit_id == CampaignEnterprise.unit_id, Suspension.status != _RESUMED
    )


def accepted_by_order() -> ColumnElement[bool]:
    """True for a campaign row whose enterprise's order was accepted after the campaign
    opened and is resumed: accepted for this restart, by its order."""
    return exists().where(Suspension.unit_id == CampaignEnterprise.unit_id, _accepted_in_campaign())


def left_to_order() -> ColumnElement[bool]:
    """True for a row the campaign neither decides, lists as 未验收, chases nor waits for."""
    return or_(under_open_order(), accepted_by_order())


async def orders_of(
    session: AsyncSession, campaign: Campaign, unit_ids: Iterable[str]
) -> dict[str, OpenOrder]:
    """unit id → the order deciding its restart in `campaign` (an enterprise has at most one
    open order: a second is refused; of those resumed, the latest accepted in the campaign)."""
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(Suspension.unit_id, Suspension.id, Suspension.order_no, Suspension.status)
        .where(
            Suspension.unit_id.in_(ids),
            or_(
                Suspension.status != _RESUMED,
                and_(Suspension.status == _RESUMED, Suspension.accepted_at > campaign.opened_at),
            ),
        )
        .order_by(Suspension.accepted_at.nulls_last())
    )
    found: dict[str, OpenOrder] = {}
    for unit_id, sid, order_no, status in rows:
        if unit_id in found and not found[unit_id].resumed:
            continue  # the open order decides
        found[unit_id] = OpenOrder(sid, order_no, resumed=status == _RESUMED)
    return found


def refusal(unit_name: str, order: OpenOrder) -> str:
    """The 409 of a campaign's decision (passed or not) on an enterprise its order decides."""
    if order.resumed:
        return (
            f"{unit_name}已经停产停业整顿（{order.order_no}）的复工复产验收合格并恢复生产，"
            "无需在本次复工复产验收中重复验收"
        )
    return (
        f"{unit_name}正在停产停业整顿（{order.order_no}），须经该责令的复工复产验收合格后方可"
        "恢复生产，不在本次复工复产验收中验收"
    )
