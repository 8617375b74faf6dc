"""未验收企业清单: the enterprises of a campaign not yet accepted, grouped by township and by
department, within the caller's scope (a township sees its own, a department the ones it
supervises). One left to a 停产整顿 order is not on it (campaigns/orders.py)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.scope import in_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.campaigns.kind import entry_out
from services.hazard_api.campaigns.models import CampaignEnterprise
from services.hazard_api.campaigns.orders import left_to_order
from services.hazard_api.campaigns.schemas import EntryOut, PendingGroup, PendingOut
from services.hazard_api.campaigns.states import ACCEPTED
from services.hazard_api.directory.models import Unit


async def pending_out(session: AsyncSession, user: AuthUser, campaign_id: str) -> PendingOut:
    rows = list(
        await session.scalars(
            select(CampaignEnterprise)
            .where(
                CampaignEnterprise.campaign_id == campaign_id,
                CampaignEnterprise.status != ACCEPTED,
                ~left_to_order(),
                in_scope(user, CampaignEnterprise.unit_id),
            )
            .order_by(CampaignEnterprise.unit_id)
        )
    )
    towns: dict[str, list[EntryOut]] = defaultdict(list)
    departments: dict[str, list[EntryOut]] = defaultdict(list)
    for e in rows:
        out = entry_out(e)
        towns[e.township_id or ""].append(out)
        for d in e.department_ids:
            departments[d].append(out)
    ids = {*towns, *departments} - {""}
    names = dict((await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids)))).all())

    def groups(by: dict[str, list[EntryOut]]) -> list[PendingGroup]:
        return [
            PendingGroup(unit_id=k, unit_name=names.get(k, "未知"), enterprises=v)
            for k, v in sorted(by.items())
        ]

    return PendingOut(by_township=groups(towns), by_department=groups(departments))
