"""`duban calendar load FILE --by USERNAME`: a year's official holiday schedule from a JSON or
YAML file, on the server, into hazard_api's database (`HAZARD_API_DATABASE_URL`), through the
same checks and the same recount as `PUT /calendar/{year}`. A running hazard_api takes it up
within `schedules.watcher.REFRESH_SECONDS`; escalation from the event."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from services.hazard_api.config import Settings
from services.hazard_api.errors import DomainError
from services.hazard_api.schedules.models import ScheduleIn, ScheduleOut
from services.hazard_api.schedules.service import Loader, load
from services.hazard_api.schedules.watcher import county_office_user, refresh
from shared.db import make_sessionmaker

FIELD_LABELS = {
    "year": "年份（year）",
    "notice_no": "通知文号（notice_no）",
    "holidays": "放假日期（holidays）",
    "workdays": "调休上班日期（workdays）",
}
EXAMPLE = (
    '文件示例（JSON）：{"year": 2027, "notice_no": "国办发明电〔2026〕12号", '
    '"holidays": ["2027-01-01"], "workdays": ["2027-02-06"]}'
)


class CalendarFileError(Exception):
    """What the operator is told (Chinese); the command exits with 1."""


def read_schedule(path: Path) -> tuple[int, ScheduleIn]:
    """The file's year and schedule, or `CalendarFileError` saying what is wrong in it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalendarFileError(f"找不到文件：{path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarFileError(
            f"无法读取文件 {path}（须为 UTF-8 编码的 JSON 或 YAML）：{exc}"
        ) from None
    try:
        raw: Any = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise CalendarFileError(f"文件不是有效的 JSON 或 YAML：{exc}") from None
    if not isinstance(raw, dict):
        raise CalendarFileError(
            "文件内容应为一个对象，含 year、notice_no、holidays、workdays。" + EXAMPLE
        )
    try:
        data = ScheduleIn.model_validate(raw)
    except ValidationError as exc:
        raise CalendarFileError(_validation_message(exc)) from None
    if data.year is None:
        raise CalendarFileError("文件中缺少年份（year）。" + EXAMPLE)
    return data.year, data


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = list(error["loc"])
        field = str(loc[0]) if loc else ""
        where = FIELD_LABELS.get(field, field)
        if len(loc) > 1 and isinstance(loc[1], int):
            where += f"第{loc[1] + 1}项"
        kind = error["type"]
        if kind == "missing":
            message = "缺少此项"
        elif kind == "extra_forbidden":
            message = "不认识的字段（只能有 year、notice_no、holidays、workdays）"
        elif kind.startswith("date") or field in ("holidays", "workdays"):
            message = f"应为日期，如 2027-01-01（文件中为 {error.get('input')!r}）"
        elif kind == "too_short":
            message = "不能为空"
        else:
            message = "格式不正确"
        parts.append(f"{where}：{message}")
    return "；".join(parts)


async def _load(year: int, data: ScheduleIn, username: str, settings: Settings) -> ScheduleOut:
    from sqlalchemy import select

    from services.hazard_api.auth.models import User

    clock = settings.make_clock()
    engine = settings.make_engine()
    try:
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            user_id = await session.scalar(select(User.id).where(User.username == username))
            user = await county_office_user(session, user_id) if user_id else None
            await session.rollback()
        if user is None:
            raise CalendarFileError(
                f"--by {username}：不是有效的县安委办账号（放假安排只能由县安委办导入）"
            )
        # What the open deadlines were counted on: the schedules loaded before this one.
        await refresh(sessionmaker, settings, clock)
        async with sessionmaker() as session:
            return await load(data, year=year, by=Loader(user, "cli", session, settings, clock))
    finally:
        await engine.dispose()


def run_load(path: str, username: str) -> int:
    try:
        year, data = read_schedule(Path(path))
        result = asyncio.run(_load(year, data, username, Settings()))
    except (CalendarFileError, DomainError) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        print(f"未导入：{message}", file=sys.stderr)
        return 1
    print(
        f"已导入{result.year}年放假安排（{result.notice_no}，第{result.version}版，"
        f"放假{len(result.holidays)}天、调休上班{len(result.workdays)}天）；"
        f"{result.recomputed_hazards or 0}项隐患的整改期限已按此重新计算"
    )
    return 0
