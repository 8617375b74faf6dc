"""One round of a 复工复产验收, shared by 停产整顿 orders and county 复工复产 campaigns: the team
(应急管理, the supervising department, the township), the checklist (item, standard, result,
evidence) and the decision — 同意复产 only with every item passed."""

from __future__ import annotations

from typing import Any

from services.hazard_api.errors import FieldError
from services.hazard_api.items.kernel import Context
from services.hazard_api.suspensions.schemas import AcceptanceIn

TEAM_UNITS = {"emergency", "department", "township"}


def acceptance_round(data: AcceptanceIn, ctx: Context) -> dict[str, Any]:
    """The round as recorded (who decided, when), or 422 naming what is wrong."""
    if {m.unit for m in data.team} != TEAM_UNITS:
        raise FieldError("team", "验收组须有应急管理部门、行业监管部门和乡镇（街道）的人员")
    failed = [c.item for c in data.checklist if c.result != "pass"]
    if data.passed and failed:
        raise FieldError("passed", "验收清单有不合格项，不能同意复产：" + "、".join(failed))
    return data.model_dump() | {"by": ctx.user.id, "at": ctx.now.isoformat()}
