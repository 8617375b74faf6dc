"""`duban admin client`: an integration account (对接系统) for one of the deployment's own
services, above all reporting's at hazard_api (`REPORTING_HAZARD_API_USERNAME`/`_PASSWORD`),
made before the services start, as the first administrator is (`ops.admin`).
"""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.admin import (
    AdminError,
    hazard_settings,
    in_transaction,
    read_password,
    units_where,
    validated,
)
from services.hazard_api.auth.accounts import create_user
from services.hazard_api.auth.models import Scope, User, UserIn, UserRole
from services.hazard_api.config import Settings
from services.hazard_api.directory.models import Unit
from shared.clock import Clock
from shared.contract import UnitKind


async def _create(
    session: AsyncSession,
    username: str,
    scopes: list[str],
    password: str,
    unit_id: str | None,
    clock: Clock,
) -> str:
    """An integration account (对接系统) bound to the county, so it covers all of it."""
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AdminError(
            f"用户名 {username} 已存在，未作任何改动（重设密码请用 admin reset-password）"
        )
    if unit_id is None:
        counties = await units_where(session, Unit.kind == UnitKind.COUNTY)
        if len(counties) != 1:
            raise AdminError(
                "组织目录中没有唯一的县级单位：请先运行 admin create，或用 --unit 指定"
            )
        unit = counties[0]
    else:
        found = await session.get(Unit, unit_id)
        if found is None:
            raise AdminError(f"单位 {unit_id} 不存在")
        unit = found
    unknown = [s for s in scopes if s not in Scope._value2member_map_]
    if unknown:
        known = "、".join(Scope)
        raise AdminError(f"未知的权限范围：{'、'.join(unknown)}（可用：{known}）")
    account = validated(
        UserIn,
        username=username,
        password=password,
        role=UserRole.INTEGRATION,
        unit_id=unit.id,
        scopes=scopes,
    )
    await create_user(account, session=session, clock=clock)
    return f"已创建对接系统账号 {username}（{unit.name}，权限范围 {' '.join(scopes)}）"


async def create_client(
    username: str,
    scopes: list[str],
    password: str,
    *,
    settings: Settings,
    unit_id: str | None = None,
    clock: Clock | None = None,
) -> str:
    clock = clock or settings.make_clock()
    return await in_transaction(
        settings, lambda s: _create(s, username, scopes, password, unit_id, clock)
    )


def run_client(
    username: str, scopes: list[str], unit_id: str | None, *, password_stdin: bool
) -> int:
    try:
        settings = hazard_settings()
        password = read_password(from_stdin=password_stdin, username=username)
        print(
            asyncio.run(
                create_client(username, scopes, password, settings=settings, unit_id=unit_id)
            )
        )
    except AdminError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0
