"""`duban admin create|reset-password`: the first county-office account, and a way back in.

Accounts are otherwise created through `POST /users`, which needs a county-office login; a new
deployment has none, and `seed-demo` is refused in production. These commands run on the
server, against hazard_api's database (`HAZARD_API_DATABASE_URL`), through the same service
functions as the API (`create_user`, `update_user`, `create_person`, `create_unit`).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from getpass import getpass
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.hazard_api.auth.accounts import ROLE_UNIT_KINDS, create_user, update_user
from services.hazard_api.auth.models import User, UserIn, UserPatch, UserRole
from services.hazard_api.auth.passwords import password_problem
from services.hazard_api.config import Settings
from services.hazard_api.directory.models import Unit
from services.hazard_api.directory.people import create_person
from services.hazard_api.directory.schemas import PersonIn, UnitIn
from services.hazard_api.directory.service import create_unit
from services.hazard_api.errors import DomainError
from shared.clock import Clock
from shared.contract import UnitKind
from shared.db import make_sessionmaker, transaction

ROLE = UserRole.COUNTY_OFFICE


class AdminError(Exception):
    """What the operator is told (Chinese); the command exits with 1."""


@dataclass(frozen=True)
class NewAdmin:
    username: str
    name: str
    mobile: str | None = None
    email: str | None = None
    unit_id: str | None = None
    county: str | None = None  # the county unit to create in an empty directory
    area_code: str | None = None


# ----------------------------------------------------------------------------- passwords
def check_password(password: str, *, username: str, mobile: str | None = None) -> str:
    """The API's own password policy, so the two can never disagree."""
    problem = password_problem(password, username=username, mobile=mobile)
    if problem is not None:
        raise AdminError(problem)
    return password


def read_password(
    *, from_stdin: bool, username: str, mobile: str | None = None, stdin: IO[str] | None = None
) -> str:
    """From standard input (`--password-stdin`, for scripts) or a no-echo prompt, never argv."""
    stdin = stdin or sys.stdin
    if from_stdin:
        line = stdin.readline().rstrip("\r\n")
        return check_password(line, username=username, mobile=mobile)
    if not stdin.isatty():
        raise AdminError("标准输入不是终端：请加 --password-stdin，从标准输入传入密码")
    first = check_password(getpass("新密码："), username=username, mobile=mobile)
    if getpass("再次输入新密码：") != first:
        raise AdminError("两次输入的密码不一致")
    return first


# ----------------------------------------------------------------------------- the work
_LABELS = {
    "username": "用户名（3至50位字母、数字、_ . -）",
    "name": "姓名",
    "mobile": "手机号码",
    "email": "电子邮箱",
    "area_code": "行政区划代码",
    "unit_id": "所属单位",
}


def validated(model: type[Any], **fields: Any) -> Any:
    """The model, or the operator told which of their arguments is wrong."""
    try:
        return model(**fields)
    except ValidationError as exc:
        parts = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            # Our own checks (PydanticCustomError) speak Chinese; pydantic's built-in ones do not.
            message = "格式不正确" if error["msg"].isascii() else error["msg"]
            parts.append(f"{_LABELS.get(field, field)}：{message}")
        raise AdminError("；".join(parts)) from None


async def units_where(session: AsyncSession, *conditions: ColumnElement[bool]) -> list[Unit]:
    return list(await session.scalars(select(Unit).where(*conditions).limit(2)))


async def _admin_unit(session: AsyncSession, data: NewAdmin, clock: Clock) -> tuple[Unit, bool]:
    """The unit the account belongs to, and whether it was created now (an empty directory)."""
    allowed = ROLE_UNIT_KINDS[ROLE] or frozenset(UnitKind)
    if data.unit_id is not None:
        unit = await session.get(Unit, data.unit_id)
        if unit is None or unit.kind not in allowed:
            raise AdminError(f"单位 {data.unit_id} 不存在，或不是县级单位或部门")
        return unit, False
    if await session.scalar(select(Unit.id).limit(1)) is None:
        if data.county is None or data.area_code is None:
            raise AdminError(
                "组织目录还是空的：请用 --county 县名 --area-code 行政区划代码 同时建立县级单位，"
                "或先导入组织目录"
            )
        county = validated(UnitIn, kind=UnitKind.COUNTY, name=data.county, area_code=data.area_code)
        unit, _links = await create_unit(county, session=session, user=None, clock=clock)
        return unit, True
    if data.county is not None:
        raise AdminError("组织目录中已有单位，不能再建县级单位；请用 --unit 指定账号所属单位")
    # The county office sits in the department marked as the safety office (安委办); else the
    # county itself. Ambiguity is the operator's to resolve.
    for condition in (
        (Unit.kind == UnitKind.DEPARTMENT, Unit.is_safety_office.is_(True)),
        (Unit.kind == UnitKind.COUNTY,),
    ):
        found = await units_where(session, *condition)
        if len(found) == 1:
            return found[0], False
    raise AdminError("无法确定账号所属单位：请用 --unit 指定（县级单位或安委办所在部门的编号）")


async def _create(session: AsyncSession, data: NewAdmin, password: str, clock: Clock) -> str:
    if await session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise AdminError(
            f"用户名 {data.username} 已存在，未作任何改动（重设密码请用 admin reset-password）"
        )
    unit, created = await _admin_unit(session, data, clock)
    person_in = validated(
        PersonIn, unit_id=unit.id, name=data.name, mobile=data.mobile, email=data.email
    )
    person = await create_person(person_in, session=session, user=None, clock=clock)
    account = validated(
        UserIn,
        username=data.username,
        password=password,
        role=ROLE,
        unit_id=unit.id,
        person_id=person.id,
    )
    await create_user(account, session=session, clock=clock)
    where = f"新建县级单位「{unit.name}」" if created else f"所属单位「{unit.name}」"
    return f"已创建县安委办管理员账号 {data.username}（{person.name}，{where}）"


async def _reset(session: AsyncSession, username: str, password: str, clock: Clock) -> str:
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AdminError(f"用户 {username} 不存在")
    was_locked = not user.active
    patch = UserPatch(password=password, active=True)
    await update_user(user.id, patch, session=session, clock=clock, actor=None)
    return f"已为 {username} 设置新密码" + ("，并解除了账号锁定" if was_locked else "")


async def in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[str]]) -> str:
    engine = settings.make_engine()
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            return await work(session)
    except DomainError as exc:
        raise AdminError(exc.message) from None
    except IntegrityError:
        raise AdminError("数据冲突：记录已存在或刚被修改，请重试") from None
    except DBAPIError as exc:
        raise AdminError(
            f"数据库操作失败（{type(exc.orig).__name__}）；是否已运行 duban migrate hazard_api？"
        ) from None
    finally:
        await engine.dispose()


def hazard_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "；".join(
            f"{'.'.join(map(str, e['loc'])) or 'hazard_api'}：{e['msg']}" for e in exc.errors()
        )
        raise AdminError(
            f"hazard_api 的配置无效（{problems}）；运行 duban check-config hazard_api 查看"
        ) from None


async def create_admin(
    data: NewAdmin, password: str, *, settings: Settings, clock: Clock | None = None
) -> str:
    clock = clock or settings.make_clock()
    return await in_transaction(settings, lambda s: _create(s, data, password, clock))


async def reset_password(
    username: str, password: str, *, settings: Settings, clock: Clock | None = None
) -> str:
    clock = clock or settings.make_clock()
    return await in_transaction(settings, lambda s: _reset(s, username, password, clock))


# ----------------------------------------------------------------------------- commands
def run_create(data: NewAdmin, *, password_stdin: bool) -> int:
    try:
        settings = hazard_settings()
        password = read_password(
            from_stdin=password_stdin, username=data.username, mobile=data.mobile
        )
        print(asyncio.run(create_admin(data, password, settings=settings)))
    except AdminError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def run_reset(username: str, *, password_stdin: bool) -> int:
    try:
        settings = hazard_settings()
        password = read_password(from_stdin=password_stdin, username=username)
        print(asyncio.run(reset_password(username, password, settings=settings)))
    except AdminError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0
